/* SPDX-License-Identifier: ISC */
/*
 * The zone table: a trie of labels from the root down, its edges in one
 * open-addressing hash table keyed by (parent node, folded label).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"
#include "zone.h"

#define ZONE_MAX_LABELS 128	/* 255 octets hold at most 127 labels */
#define ZONE_ROOT 0		/* node 0: the root, never a zone */

struct zone_node {
	uint32_t parent;
	uint8_t label[64];	/* length octet, then lower-case octets */
	void *value;		/* NULL: only a step towards deeper zones */
};

struct zone_table {
	struct zone_node *nodes;
	size_t nnodes, capnodes;
	uint32_t *slots;	/* node index + 1; 0: empty */
	size_t nslots;		/* a power of two, over twice nnodes */
	size_t nzones;
};

/* FNV-1a over the folded label, seeded with the parent index. */
static uint32_t
edge_hash(uint32_t parent, const uint8_t *label)
{
	uint32_t h = (2166136261u ^ parent) * 16777619u;
	size_t i;

	for (i = 0; i <= label[0]; i++)
		h = (h ^ dnsmsg_fold(label[i])) * 16777619u;
	return h;
}

static int
label_equal(const uint8_t *stored, const uint8_t *label)
{
	size_t i;

	if (stored[0] != label[0])
		return 0;
	for (i = 1; i <= label[0]; i++)
		if (stored[i] != dnsmsg_fold(label[i]))
			return 0;
	return 1;
}

/* The child of parent named label, or 0 (the root is nobody's child). */
static uint32_t
find_child(const struct zone_table *t, uint32_t parent, const uint8_t *label)
{
	size_t mask = t->nslots - 1, i;

	if (t->nslots == 0)
		return 0;
	for (i = edge_hash(parent, label) & mask; t->slots[i] != 0;
	    i = (i + 1) & mask) {
		const struct zone_node *n = &t->nodes[t->slots[i] - 1];

		if (n->parent == parent && label_equal(n->label, label))
			return t->slots[i] - 1;
	}
	return 0;
}

static void
slot_insert(uint32_t *slots, size_t nslots, const struct zone_node *n,
    uint32_t index)
{
	size_t mask = nslots - 1, i;

	for (i = edge_hash(n->parent, n->label) & mask; slots[i] != 0;
	    i = (i + 1) & mask)
		;
	slots[i] = index + 1;
}

/* Room for one more node, the hash index kept under half full. */
static int
reserve_node(struct zone_table *t)
{
	if (t->nnodes == t->capnodes) {
		size_t cap = t->capnodes * 2;
		struct zone_node *grown = realloc(t->nodes, cap *
		    sizeof(*grown));

		if (grown == NULL)
			return -1;
		t->nodes = grown;
		t->capnodes = cap;
	}
	if ((t->nnodes + 1) * 2 > t->nslots) {
		size_t nslots = t->nslots * 2, i;
		uint32_t *slots = calloc(nslots, sizeof(*slots));

		if (slots == NULL)
			return -1;
		for (i = 1; i < t->nnodes; i++)
			slot_insert(slots, nslots, &t->nodes[i], (uint32_t)i);
		free(t->slots);
		t->slots = slots;
		t->nslots = nslots;
	}
	return 0;
}

struct zone_table *
zone_table_new(void)
{
	struct zone_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->capnodes = 16;
	t->nslots = 32;
	t->nodes = calloc(t->capnodes, sizeof(*t->nodes));
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	if (t->nodes == NULL || t->slots == NULL) {
		zone_table_free(t);
		return NULL;
	}
	t->nnodes = 1;		/* the root */
	return t;
}

void
zone_table_free(struct zone_table *t)
{
	if (t == NULL)
		return;
	free(t->nodes);
	free(t->slots);
	free(t);
}

size_t
zone_table_count(const struct zone_table *t)
{
	return t ? t->nzones : 0;
}

/*
 * The offsets of name's labels, the first label first; their number, or
 * -1 when name is malformed (compressed, too long, past len).
 */
static int
label_offsets(const uint8_t *name, size_t len, size_t offs[ZONE_MAX_LABELS])
{
	size_t off = 0;
	int n = 0;

	while (off < len && off < ZONE_WIRE_MAX && name[off] != 0) {
		if (name[off] > 63 || n == ZONE_MAX_LABELS)
			return -1;
		offs[n++] = off;
		off += 1 + (size_t)name[off];
	}
	if (off >= len || off >= ZONE_WIRE_MAX)
		return -1;
	return n;
}

static uint32_t
add_child(struct zone_table *t, uint32_t parent, const uint8_t *label)
{
	struct zone_node *n;
	size_t i;

	if (reserve_node(t) == -1)
		return 0;
	n = &t->nodes[t->nnodes];
	memset(n, 0, sizeof(*n));
	n->parent = parent;
	n->label[0] = label[0];
	for (i = 1; i <= label[0]; i++)
		n->label[i] = dnsmsg_fold(label[i]);
	slot_insert(t->slots, t->nslots, n, (uint32_t)t->nnodes);
	return (uint32_t)t->nnodes++;
}

int
zone_table_add(struct zone_table *t, const uint8_t *name, size_t len,
    void *value)
{
	size_t offs[ZONE_MAX_LABELS];
	int n = label_offsets(name, len, offs);
	uint32_t node = ZONE_ROOT, child;

	if (n <= 0 || value == NULL)
		return -1;
	while (n-- > 0) {
		child = find_child(t, node, name + offs[n]);
		if (child == 0 &&
		    (child = add_child(t, node, name + offs[n])) == 0)
			return -1;
		node = child;
	}
	if (t->nodes[node].value == NULL)
		t->nzones++;
	t->nodes[node].value = value;
	return 0;
}

void *
zone_table_match(const struct zone_table *t, const uint8_t *name,
    size_t len, size_t *zone_off)
{
	size_t offs[ZONE_MAX_LABELS];
	int n;
	uint32_t node = ZONE_ROOT;
	void *best = NULL;

	if (t == NULL || t->nzones == 0 ||
	    (n = label_offsets(name, len, offs)) <= 0)
		return NULL;
	while (n-- > 0) {
		if ((node = find_child(t, node, name + offs[n])) == 0)
			break;
		if (t->nodes[node].value != NULL) {
			best = t->nodes[node].value;
			if (zone_off != NULL)
				*zone_off = offs[n];
		}
	}
	return best;
}

size_t
zone_name_wire(const char *text, uint8_t *out, size_t cap)
{
	size_t n = 0, l;

	if (text[0] == '.' || text[0] == '\0')
		return 0;
	while (*text != '\0') {
		l = strcspn(text, ".");
		if (l == 0 || l > 63 || n + 1 + l + 1 > cap ||
		    n + 1 + l + 1 > ZONE_WIRE_MAX)
			return 0;
		out[n++] = (uint8_t)l;
		while (l-- > 0) {
			uint8_t c = (uint8_t)*text++;

			/* host names, _service labels, RFC 2317 "0/25" */
			if (!isalnum(c) && c != '-' && c != '_' && c != '/')
				return 0;
			out[n++] = dnsmsg_fold(c);
		}
		if (*text == '.')
			text++;
	}
	out[n++] = 0;
	return n;
}

void
zone_name_text(const uint8_t *name, size_t len, char *out, size_t cap)
{
	size_t off = 0, n = 0, l;

	if (cap == 0)
		return;
	while (off < len && name[off] != 0 && name[off] <= 63) {
		l = name[off];
		if (off + 1 + l > len || n + l + 2 > cap)
			break;
		memcpy(out + n, name + off + 1, l);
		n += l;
		out[n++] = '.';
		off += 1 + l;
	}
	if (n == 0 && cap > 1)
		out[n++] = '.';
	out[n] = '\0';
}
