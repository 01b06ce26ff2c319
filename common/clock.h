/*
 * clock.h - the monotonic clock in milliseconds, for deadlines.
 */
#ifndef COMMON_CLOCK_H
#define COMMON_CLOCK_H

/* Milliseconds on CLOCK_MONOTONIC (0 if the clock cannot be read, which
 * Linux never does for this clock). */
long long	clock_ms(void);
/* The same clock in microseconds (durations worth measuring finer). */
long long	clock_us(void);

#endif
