/*
 * upload_names.h - the names ftpd gives the files of uploads in flight.
 *
 * The user process writes an atomic upload under UPLOAD_TMP_PREFIX and
 * 12 random characters and renames it into place when complete
 * (user/policy.h); a cut one may stay as UPLOAD_PARTIAL_PREFIX and its
 * name.  Whoever counts a home for a quota tally (the monitor, ftpquota)
 * leaves the temporaries out: the upload writing one holds its own
 * reservation for it, and a leftover of a killed session is removed by
 * the next complete upload of the name or by hand, not billed.
 */
#ifndef FTPD_FORMATS_UPLOAD_NAMES_H
#define FTPD_FORMATS_UPLOAD_NAMES_H

#define UPLOAD_TMP_PREFIX	".ftpd-upload."
#define UPLOAD_PARTIAL_PREFIX	".ftpd-partial."

#endif
