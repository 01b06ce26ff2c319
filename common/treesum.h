/*
 * treesum.h - what a directory tree holds: the sizes and the number of
 * its regular files.
 *
 * Used to count a quota tally from disk (ftpd's monitor at an account's
 * first upload, the ftpquota tool).  The tree may belong to someone who
 * wants it to be miscounted or to lead the walk elsewhere: symbolic links
 * are never followed (each step is an openat of one name with
 * O_NOFOLLOW, relative to the directory already open), directories past
 * TREESUM_DEPTH levels are left out and said so, and nothing is read but
 * directory entries and inode sizes.
 */
#ifndef COMMON_TREESUM_H
#define COMMON_TREESUM_H

#define TREESUM_DEPTH	64	/* directory levels below the top */

struct treesum {
	unsigned long long	bytes;		/* st_size of each regular file */
	unsigned long long	files;		/* regular files */
	unsigned long		skipped;	/* directories that could not
						 * be read, or too deep */
};

/*
 * Count the tree beneath the directory dirfd into *t (zeroed first),
 * leaving out files whose names begin with skip (NULL: none).  dirfd
 * stays open and is not moved.  0, or -1 (errno) when dirfd itself
 * cannot be read; a subdirectory that cannot be read is counted in
 * t->skipped.
 */
int	treesum(int dirfd, const char *skip, struct treesum *t);

#endif
