# Writes OUT: a C array of {name, bytes, size, sha256} for each file in FILES, ended by an
# entry whose name is NULL. A file's name is its path relative to BASE.
# Run as: cmake -DNAME=n -DBASE=dir -DOUT=f.c -DFILES="dir/a;dir/b" -P embed.cmake
file(WRITE ${OUT} "/* Generated from ${NAME}; do not edit. */\n#include \"core/embed.h\"\n")
set(entries "")
set(i 0)
foreach(f ${FILES})
	file(RELATIVE_PATH name ${BASE} ${f})
	file(READ ${f} hex HEX)
	file(SIZE ${f} size)
	file(SHA256 ${f} sha256)
	string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
	file(APPEND ${OUT} "static const unsigned char f${i}[] = {${bytes}0x00};\n")
	string(APPEND entries "\t{\"${name}\", (const char *)f${i}, ${size}, \"${sha256}\"},\n")
	math(EXPR i "${i} + 1")
endforeach()
file(APPEND ${OUT} "const struct embed_file embed_${NAME}[] = {\n${entries}\t{0, 0, 0, 0}\n};\n")
