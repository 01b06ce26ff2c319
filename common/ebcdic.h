/*
 * ebcdic.h - IBM code page 037 <-> ISO-8859-1, for TYPE E transfers.
 *
 * Both tables are bijections over all 256 byte values, so a file survives
 * any number of round trips.  They follow the published CP037 mapping
 * with one deliberate change, the convention of IBM's UNIX services: the
 * EBCDIC NL control (0x15) is paired with LF (0x0a) and EBCDIC LF (0x25)
 * with NEL (0x85).  RFC 959 3.1.1.2 asks for NL as the EBCDIC end of line,
 * so a Unix text line "abc\n" travels as C1 C2 C3 15.  Pure functions.
 */
#ifndef COMMON_EBCDIC_H
#define COMMON_EBCDIC_H

#include <stddef.h>

#define EBCDIC_SPACE	0x40	/* filler byte of MODE C under TYPE E */
#define EBCDIC_NL	0x15	/* end of line */

extern const unsigned char ebcdic_to_latin1_tab[256];
extern const unsigned char ebcdic_from_latin1_tab[256];

/* Translate n bytes in place: ISO-8859-1 -> CP037. */
void	ebcdic_encode(unsigned char *p, size_t n);
/* Translate n bytes in place: CP037 -> ISO-8859-1. */
void	ebcdic_decode(unsigned char *p, size_t n);

#endif
