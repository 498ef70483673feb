/* A main program with a text segment smaller than a page (it links
 * libgoro.so): writes the goroutine profile to argv[1]. */
#include <goro.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	FILE *f = argc > 1 ? fopen(argv[1], "w") : NULL;
	if (f == NULL)
		return 2;
	int rc = goro_profile_write("goroutine", f, 0);
	return fclose(f) == 0 && rc == 0 ? 0 : 1;
}
