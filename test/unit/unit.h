/*
 * unit.h - how unit-test files register their check suites.
 *
 * Each test/unit/test_*.c defines a function returning a Suite and
 * registers it with UNIT_SUITE(fn); main.c runs every registered suite.
 * No central list to edit when a file is added.
 */
#ifndef TEST_UNIT_H
#define TEST_UNIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <check.h>

typedef Suite *unit_suite_fn(void);
void	unit_register(unit_suite_fn *fn);

/* unit_addr.c: the port (host order) and the address text of ss. */
uint16_t	unit_port_of(const struct sockaddr_storage *ss);
const char	*unit_ip_of(const struct sockaddr_storage *ss, char *out,
		    size_t len);

#define UNIT_SUITE(fn)						\
	static void __attribute__((constructor)) reg_##fn(void)	\
	{ unit_register(fn); }

#endif
