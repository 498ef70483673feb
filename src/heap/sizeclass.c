/*
 * sizeclass.c — the small size classes and the size -> class tables.
 *
 * Classes go up by 16 bytes to 128, then by quarters of a power of two
 * (160, 192, 224, 256, 320, ...) up to 32 KiB, so rounding wastes at most
 * 25% of a block (and 16 bytes is the finest step that keeps 16-byte
 * alignment).  Every power of two is a class; since spans start on a page
 * boundary, a class that is a multiple of an alignment <= 8 KiB yields
 * blocks aligned to it (used by goro__heap_alloc_aligned).
 */
#include "heap/heap_internal.h"

struct heap_class goro__heap_classes[HEAP_NCLASS];
uint8_t goro__heap_class_lo[1024 / 16 + 1];
uint8_t goro__heap_class_hi[(HEAP_MAX_SMALL - 1024) / 128 + 1];

static const uint32_t class_size[HEAP_NCLASS] = {
	0,     16,    32,    48,    64,    80,    96,    112,   128,
	160,   192,   224,   256,   320,   384,   448,   512,   640,
	768,   896,   1024,  1280,  1536,  1792,  2048,  2560,  3072,
	3584,  4096,  5120,  6144,  7168,  8192,  10240, 12288, 14336,
	16384, 20480, 24576, 28672, 32768,
};

/* Smallest span (in pages) that holds at least 4 blocks and loses at most
 * 1/8 of itself to the tail that no block fits in. */
static uint32_t span_pages(uint32_t size)
{
	for (uint32_t n = 1; n < HEAP_MAX_SPAN_PAGES; n++) {
		size_t bytes = n * HEAP_PAGE;
		size_t waste = bytes % size;
		if (bytes / size >= 4 && waste * 8 <= bytes)
			return n;
	}
	return HEAP_MAX_SPAN_PAGES;
}

/* Blocks moved per refill/flush: about 32 KiB worth, 4..128 blocks.  A
 * bigger batch amortises the pool's lock better but lets a thread hoard
 * more memory in its cache. */
static uint32_t batch_size(uint32_t size)
{
	uint32_t b = 32768 / size;
	if (b < 4)
		return 4;
	return b > 128 ? 128 : b;
}

static size_t align_up(size_t n, size_t a)
{
	return (n + a - 1) & ~(a - 1);
}

static void class_init(unsigned c, uint32_t size)
{
	struct heap_class *k = &goro__heap_classes[c];
	k->size = size;
	k->npages = size ? span_pages(size) : 0;
	k->nelems = size ? (uint32_t)(k->npages * HEAP_PAGE / size) : 1;
	k->batch = size ? batch_size(size) : 0;
	k->magic = size ? ((uint64_t)1 << 32) / size + 1 : 0;
	/* Descriptor: header, then a state byte per block, then the mark
	 * words; a whole number of cache lines so that threads freeing into
	 * neighbouring spans do not share a line. */
	size_t marks = align_up(sizeof(struct heap_span) + k->nelems, 8);
	size_t words = (k->nelems + 63) / 64;
	k->desc_size = align_up(marks + words * 8, HEAP_CACHELINE);
}

void goro__heap_classes_init(void)
{
	for (unsigned c = 0; c < HEAP_NCLASS; c++)
		class_init(c, class_size[c]);
	unsigned c = 1;
	for (size_t i = 0; i < sizeof goro__heap_class_lo; i++) {
		size_t size = i * 16;
		while (class_size[c] < size)
			c++;
		goro__heap_class_lo[i] = (uint8_t)c;
	}
	for (size_t i = 0; i < sizeof goro__heap_class_hi; i++) {
		size_t size = 1024 + i * 128;
		while (class_size[c] < size)
			c++;
		goro__heap_class_hi[i] = (uint8_t)c;
	}
}
