/*
 * sigsafe.c — async-signal-safe text for stderr (see sigsafe.h).
 */
#include <errno.h>
#include <unistd.h>

#include "runtime/sigsafe.h"

static void put_char(struct goro_sstr *s, char c)
{
	if (s->len < sizeof s->buf - 1)
		s->buf[s->len++] = c;
}

void goro__ss_str(struct goro_sstr *s, const char *text)
{
	while (text && *text)
		put_char(s, *text++);
}

void goro__ss_dec(struct goro_sstr *s, long long v)
{
	char tmp[24];
	int n = 0;
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		put_char(s, '-');
	while (n > 0)
		put_char(s, tmp[--n]);
}

void goro__ss_hex(struct goro_sstr *s, uintptr_t v)
{
	char tmp[2 * sizeof v];
	int n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	put_char(s, '0');
	put_char(s, 'x');
	while (n > 0)
		put_char(s, tmp[--n]);
}

void goro__fatal_raw(const char *msg)
{
	struct goro_sstr s = { .len = 0 };
	goro__ss_str(&s, "fatal error: ");
	goro__ss_str(&s, msg);
	goro__ss_str(&s, "\n");
	goro__ss_flush(&s);
	_exit(2);
}

void goro__ss_flush(struct goro_sstr *s)
{
	int saved = errno; /* a handler must leave errno as it found it */
	const char *p = s->buf;
	size_t n = s->len;
	while (n > 0) {
		ssize_t w = write(2, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		n -= (size_t)w;
	}
	s->len = 0;
	errno = saved;
}
