/* centralita: the command line. Parses the sub-command and calls into the modules. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "version") == 0) {
		printf("centralita %s\n", CENTRALITA_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: centralita version\n");
	return 2;
}
