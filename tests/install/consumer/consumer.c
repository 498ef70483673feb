/* An installed-goro consumer: a goroutine per square, a channel, and the
 * sum.  Prints "14". */
#include <goro.h>
#include <stdio.h>

struct work { goro_chan *out; int n; };

static void square(void *p)
{
	struct work *w = p;
	int v = w->n * w->n;
	goro_chan_send(w->out, &v);
}

int main(void)
{
	goro_chan *out = goro_chan_new(int, 0);
	for (int i = 1; i <= 3; i++) {
		struct work w = { out, i };
		goro_go(square, &w);
	}
	int v, total = 0;
	for (int i = 0; i < 3; i++) {
		goro_chan_recv(out, &v);
		total += v;
	}
	printf("%d\n", total);
	return 0;
}
