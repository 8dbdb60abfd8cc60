/* The admin metrics (/api/v1/metrics): inbox/metrics.c's report over a ?from=&to= range. */
#include "http/api.h"

void api_metrics(struct http_request *req, struct http_response *res)
{
	api_reply_range_report(req, res, metrics_get);
}
