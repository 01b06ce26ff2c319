/*
 * event_rec.c - the event record's wire form and the events' names
 * (see event_rec.h).
 *
 * ev_encode runs in root processes (monitors, the master) on values
 * they own; ev_decode runs in the event runner on whatever arrives on
 * its channel and trusts none of it.
 */
#include <stdio.h>
#include <string.h>

#include "formats/event_rec.h"

static const char *const names[EV_NTYPES] = {
	[EV_LOGIN] = "login",
	[EV_LOGIN_FAILED] = "login_failed",
	[EV_LOGOUT] = "logout",
	[EV_UPLOAD] = "upload",
	[EV_UPLOAD_ABORTED] = "upload_aborted",
	[EV_DOWNLOAD] = "download",
	[EV_DELETE] = "delete",
	[EV_RENAME] = "rename",
	[EV_MKDIR] = "mkdir",
	[EV_RMDIR] = "rmdir",
	[EV_CHMOD] = "chmod",
	[EV_QUOTA] = "quota",
	[EV_BAN] = "ban",
};

const char *
ev_type_name(enum ev_type t)
{
	return t > 0 && t < EV_NTYPES ? names[t] : "?";
}

/* The strings in wire order, with their field sizes. */
struct field {
	char	*s;
	size_t	 max;
};

static void
fields(struct ev_rec *r, struct field f[EV_NSTR])
{
	f[0] = (struct field){ r->user, sizeof(r->user) };
	f[1] = (struct field){ r->client, sizeof(r->client) };
	f[2] = (struct field){ r->host, sizeof(r->host) };
	f[3] = (struct field){ r->path, sizeof(r->path) };
	f[4] = (struct field){ r->vpath, sizeof(r->vpath) };
	f[5] = (struct field){ r->path2, sizeof(r->path2) };
	f[6] = (struct field){ r->vpath2, sizeof(r->vpath2) };
}

static void
put_le(unsigned char *p, uint64_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get_le(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

size_t
ev_encode(const struct ev_rec *r, unsigned char *out, size_t outlen)
{
	struct field f[EV_NSTR];
	size_t off = EV_HDR_LEN, i, n;

	if (outlen < EV_WIRE_MAX || r->type <= 0 || r->type >= EV_NTYPES)
		return 0;
	fields((struct ev_rec *)r, f);
	put_le(out, EV_MAGIC, 4);
	put_le(out + 4, (uint64_t)r->type, 4);
	put_le(out + 8, r->bytes, 8);
	put_le(out + 16, (uint64_t)r->time, 8);
	put_le(out + 24, r->session, 4);
	for (i = 0; i < EV_NSTR; i++) {
		n = strnlen(f[i].s, f[i].max);
		if (n == f[i].max)
			return 0;	/* no NUL inside its field */
		put_le(out + 28 + 2 * i, n, 2);
		memcpy(out + off, f[i].s, n);
		off += n;
	}
	return off;
}

int
ev_decode(const unsigned char *in, size_t len, struct ev_rec *r)
{
	struct field f[EV_NSTR];
	size_t off = EV_HDR_LEN, i, n;
	uint64_t type;

	memset(r, 0, sizeof(*r));
	if (len < EV_HDR_LEN || len > EV_WIRE_MAX ||
	    get_le(in, 4) != EV_MAGIC)
		return -1;
	type = get_le(in + 4, 4);
	if (type == 0 || type >= EV_NTYPES)
		return -1;
	r->type = (enum ev_type)type;
	r->bytes = get_le(in + 8, 8);
	r->time = (int64_t)get_le(in + 16, 8);
	r->session = (uint32_t)get_le(in + 24, 4);
	fields(r, f);
	for (i = 0; i < EV_NSTR; i++) {
		n = (size_t)get_le(in + 28 + 2 * i, 2);
		if (n >= f[i].max || n > len - off ||
		    memchr(in + off, '\0', n) != NULL)
			return -1;
		memcpy(f[i].s, in + off, n);
		f[i].s[n] = '\0';
		off += n;
	}
	return off == len ? 0 : -1;
}

int
ev_parse_mask(const char *list, unsigned *mask, char *bad, size_t badlen)
{
	const char *p = list, *e;
	size_t n;
	int t;

	*mask = 0;
	for (;;) {
		p += strspn(p, ", \t");
		if (*p == '\0')
			return 0;
		e = p + strcspn(p, ", \t");
		n = (size_t)(e - p);
		if (n == 3 && strncmp(p, "all", 3) == 0)
			*mask |= EV_ALL;
		else {
			for (t = 1; t < EV_NTYPES; t++)
				if (strlen(names[t]) == n &&
				    strncmp(p, names[t], n) == 0)
					break;
			if (t == EV_NTYPES) {
				(void)snprintf(bad, badlen, "%.*s",
				    n > 64 ? 64 : (int)n, p);
				return -1;
			}
			*mask |= EV_BIT(t);
		}
		p = e;
	}
}
