/*
 * echo_server.c — a TCP echo server, one goroutine per connection.
 *
 *     ./echo_server [host:port]        (default 127.0.0.1:7007; port 0: any)
 *     printf 'hello\n' | nc -q1 127.0.0.1 7007
 *
 * Each connection's goroutine parks in "IO wait" between messages, so a
 * few worker threads serve thousands of connections.  Run it with
 * GORO_DEBUG_ADDR=127.0.0.1:6060 and look at them:
 *
 *     curl 'http://127.0.0.1:6060/debug/pprof/goroutine?debug=2'
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <goro.h>

struct conn {
	int fd;
};

static void serve(void *p)
{
	int fd = ((struct conn *)p)->fd;
	char buf[4096];
	ssize_t n;
	while ((n = goro_fd_read(fd, buf, sizeof buf)) > 0)
		if (goro_fd_write(fd, buf, (size_t)n) != n)
			break;
	goro_fd_close(fd);
}

int main(int argc, char **argv)
{
	const char *addr = argc > 1 ? argv[1] : "127.0.0.1:7007";
	int lfd = goro_net_listen(addr);
	if (lfd < 0) {
		fprintf(stderr, "echo_server: listen %s: %s\n", addr, strerror(errno));
		return 1;
	}
	char where[64];
	goro_net_local_addr(lfd, where, sizeof where);
	printf("echo_server: listening on %s\n", where);
	fflush(stdout);
	for (;;) {
		int fd = goro_fd_accept(lfd, NULL, NULL);
		if (fd < 0) {
			/* Out of fds: others will close theirs soon. */
			fprintf(stderr, "echo_server: accept: %s\n", strerror(errno));
			goro_sleep(10 * GORO_MILLISECOND);
			continue;
		}
		goro_go(serve, &(struct conn){ fd });
	}
}
