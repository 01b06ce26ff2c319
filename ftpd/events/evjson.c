/*
 * evjson.c - an event as one line of JSON for event_socket's readers.
 *
 * Runs in the event runner.  Keys: event, user, path, vpath, bytes,
 * client, host, session, time (RFC 3339, UTC), and for a rename path2
 * and vpath2.  Strings go through json_put: any byte a client put in
 * a file name comes out as valid JSON.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/json.h"
#include "events/events.h"

static int
put_key_str(struct buf *b, const char *key, const char *val)
{
	return buf_appendf(b, ",\"%s\":", key) == -1 ||
	    json_put(b, val, strlen(val)) == -1 ? -1 : 0;
}

int
evjson_line(const struct ev_rec *r, struct buf *out)
{
	size_t start = out->len;
	char when[32];
	struct tm tm;
	time_t t = (time_t)r->time;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(when, sizeof(when), "1970-01-01T00:00:00Z");
	if (buf_appendf(out, "{\"event\":\"%s\"", ev_type_name(r->type)) ==
	    -1 || put_key_str(out, "user", r->user) == -1 ||
	    put_key_str(out, "path", r->path) == -1 ||
	    put_key_str(out, "vpath", r->vpath) == -1 ||
	    (r->type == EV_RENAME && (put_key_str(out, "path2",
	    r->path2) == -1 || put_key_str(out, "vpath2", r->vpath2) == -1)) ||
	    buf_appendf(out, ",\"bytes\":%llu", (unsigned long long)r->bytes) ==
	    -1 || put_key_str(out, "client", r->client) == -1 ||
	    put_key_str(out, "host", r->host) == -1 ||
	    buf_appendf(out, ",\"session\":%lu,\"time\":\"%s\"}\n",
	    (unsigned long)r->session, when) == -1) {
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}
