/*
 * idcache.c - uid/gid to name tables for directory listings.
 *
 * Loaded by the master (root) once at startup, before any fork and before
 * any chroot, because NSS does not work inside a chroot.  The user process
 * only reads the inherited tables.  Input is the system's passwd and group
 * databases: trusted to be well-formed, but names are still filtered so
 * that an odd entry (spaces, control characters, ';') cannot break the
 * LIST or MLSx line formats.  The tables are process-wide, written only by
 * idcache_load() (and idcache_add_* in tests), read-only afterwards.
 */
#include <sys/types.h>

#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "user/idcache.h"

struct ident {
	unsigned long	 id;
	size_t		 seq;	/* order of appearance: first name wins */
	char		*name;
};

/*
 * Entries sorted by id (for the first-name-wins rule and for tests), and
 * an open-addressing index over them, so that the lookup a listing does
 * for every entry is O(1): slot[h] is 1 + the entry's index, 0 for empty.
 */
struct idmap {
	struct ident	*v;
	size_t		 n;
	size_t		 cap;
	unsigned	*slot;
	size_t		 nslot;		/* a power of two > n, or 0 */
};

static struct idmap users, groups;

static void
idmap_free(struct idmap *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i].name);
	free(m->v);
	free(m->slot);
	m->v = NULL;
	m->slot = NULL;
	m->n = m->cap = m->nslot = 0;
}

/* Fibonacci hashing: ids are often consecutive, so mix them. */
static size_t
id_hash(unsigned long id, size_t nslot)
{
	return (size_t)(((unsigned long long)id * 0x9e3779b97f4a7c15ULL) >>
	    32) & (nslot - 1);
}

/* Rebuild the index: at most half full, so probes stay short. */
static void
idmap_index(struct idmap *m)
{
	size_t i, h, nslot = 16;

	free(m->slot);
	m->slot = NULL;
	m->nslot = 0;
	if (m->n == 0)
		return;
	while (nslot < 2 * m->n)
		nslot *= 2;
	m->slot = xcalloc(nslot, sizeof(m->slot[0]));
	m->nslot = nslot;
	for (i = 0; i < m->n; i++) {
		/* Bounded: the table has more free slots than entries. */
		for (h = id_hash(m->v[i].id, nslot); m->slot[h] != 0;
		    h = (h + 1) & (nslot - 1))
			;
		m->slot[h] = (unsigned)i + 1;
	}
}

/* A name we can print unquoted in any listing format. */
static int
name_ok(const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0')
		return 0;
	for (i = 0; name[i] != '\0'; i++) {
		if (i >= IDCACHE_NAMEMAX)
			return 0;
		if ((unsigned char)name[i] <= ' ' || name[i] == 0x7f ||
		    name[i] == ';')
			return 0;
	}
	return 1;
}

static int
idmap_push(struct idmap *m, unsigned long id, const char *name)
{
	if (!name_ok(name) || m->n >= IDCACHE_MAX)
		return -1;
	if (m->n == m->cap) {
		m->cap = m->cap == 0 ? 256 : m->cap * 2;
		m->v = xreallocarray(m->v, m->cap, sizeof(m->v[0]));
	}
	m->v[m->n].id = id;
	m->v[m->n].seq = m->n;
	m->v[m->n].name = xstrdup(name);
	m->n++;
	return 0;
}

static int
ident_cmp(const void *a, const void *b)
{
	const struct ident *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return 0;
}

/* Sort by id and keep only the first name of each id. */
static void
idmap_finish(struct idmap *m)
{
	size_t i, out;

	if (m->n == 0)
		return;
	qsort(m->v, m->n, sizeof(m->v[0]), ident_cmp);
	out = 1;
	for (i = 1; i < m->n; i++) {
		if (m->v[i].id == m->v[out - 1].id) {
			free(m->v[i].name);
			continue;
		}
		m->v[out++] = m->v[i];
	}
	m->n = out;
	/* Later pushes (tests) must still sort after these. */
	for (i = 0; i < m->n; i++)
		m->v[i].seq = i;
	idmap_index(m);
}

static const char *
idmap_find(const struct idmap *m, unsigned long id)
{
	size_t h, i;

	if (m->nslot == 0)
		return NULL;
	/* Bounded: at most nslot probes, and a free slot ends it sooner. */
	h = id_hash(id, m->nslot);
	for (i = 0; i < m->nslot && m->slot[h] != 0; i++) {
		if (m->v[m->slot[h] - 1].id == id)
			return m->v[m->slot[h] - 1].name;
		h = (h + 1) & (m->nslot - 1);
	}
	return NULL;
}

size_t
idcache_load(void)
{
	struct passwd *pw;
	struct group *gr;
	size_t i;

	idcache_free();
	setpwent();
	/* Bounded: at most IDCACHE_MAX good entries or as many reads. */
	for (i = 0; i < 4 * (size_t)IDCACHE_MAX; i++) {
		if ((pw = getpwent()) == NULL || users.n >= IDCACHE_MAX)
			break;
		(void)idmap_push(&users, (unsigned long)pw->pw_uid,
		    pw->pw_name);
	}
	endpwent();
	setgrent();
	for (i = 0; i < 4 * (size_t)IDCACHE_MAX; i++) {
		if ((gr = getgrent()) == NULL || groups.n >= IDCACHE_MAX)
			break;
		(void)idmap_push(&groups, (unsigned long)gr->gr_gid,
		    gr->gr_name);
	}
	endgrent();
	idmap_finish(&users);
	idmap_finish(&groups);
	return users.n + groups.n;
}

void
idcache_free(void)
{
	idmap_free(&users);
	idmap_free(&groups);
}

const char *
idcache_user(uid_t uid)
{
	return idmap_find(&users, (unsigned long)uid);
}

const char *
idcache_group(gid_t gid)
{
	return idmap_find(&groups, (unsigned long)gid);
}

int
idcache_add_user(uid_t uid, const char *name)
{
	if (idmap_find(&users, (unsigned long)uid) != NULL ||
	    idmap_push(&users, (unsigned long)uid, name) == -1)
		return -1;
	idmap_finish(&users);
	return 0;
}

int
idcache_add_group(gid_t gid, const char *name)
{
	if (idmap_find(&groups, (unsigned long)gid) != NULL ||
	    idmap_push(&groups, (unsigned long)gid, name) == -1)
		return -1;
	idmap_finish(&groups);
	return 0;
}
