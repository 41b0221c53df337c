/*
 * sim_graphql.h - a small GraphQL document parser for the simulators.
 *
 * Parses executable documents (October 2021 spec): operations (query, mutation,
 * subscription, shorthand), variable definitions with defaults, selection sets with
 * aliases, arguments, directives, fragment spreads, inline fragments and fragment
 * definitions, and every literal kind (int, float, string, block string, boolean, null,
 * enum, list, object, variable). It knows no schema: validation and execution belong
 * to the service (sim_shopify_gql.c).
 *
 * Ownership: every node lives in a bh_gql_arena; free the arena to free the document.
 * Threading: no shared state; one arena per request.
 */
#ifndef BH_SIM_GRAPHQL_H
#define BH_SIM_GRAPHQL_H

#include <stdbool.h>
#include <stddef.h>

struct bh_gql_arena;

struct bh_gql_arena *bh_gql_arena_new(void);
void bh_gql_arena_free(struct bh_gql_arena *a);
/** Zeroed memory from the arena (NULL when out of memory). */
void *bh_gql_alloc(struct bh_gql_arena *a, size_t n);
char *bh_gql_strndup(struct bh_gql_arena *a, const char *s, size_t n);

enum bh_gql_vkind {
	BH_GQL_V_NULL,
	BH_GQL_V_INT,
	BH_GQL_V_FLOAT,
	BH_GQL_V_STRING,
	BH_GQL_V_BOOL,
	BH_GQL_V_ENUM,
	BH_GQL_V_LIST,
	BH_GQL_V_OBJECT,
	BH_GQL_V_VAR,
};

struct bh_gql_value {
	enum bh_gql_vkind kind;
	const char *text;               /* INT/FLOAT literal, decoded STRING, ENUM or VAR name */
	bool b;                         /* BOOL */
	struct bh_gql_value **items;    /* LIST items, OBJECT values */
	const char **keys;              /* OBJECT keys */
	size_t n;
	int line, col;
};

struct bh_gql_arg {
	const char *name;
	struct bh_gql_value *value;
	int line, col;
};

struct bh_gql_directive {
	const char *name;
	struct bh_gql_arg *args;
	size_t nargs;
	int line, col;
};

enum bh_gql_skind { BH_GQL_FIELD, BH_GQL_SPREAD, BH_GQL_INLINE };

struct bh_gql_selset;

struct bh_gql_sel {
	enum bh_gql_skind kind;
	const char *alias;              /* FIELD, may be NULL */
	const char *name;               /* FIELD name or SPREAD fragment name */
	const char *type_cond;          /* INLINE, may be NULL */
	struct bh_gql_arg *args;
	size_t nargs;
	struct bh_gql_directive *dirs;
	size_t ndirs;
	struct bh_gql_selset *sel;      /* NULL for a leaf field or a spread */
	int line, col;
};

struct bh_gql_selset {
	struct bh_gql_sel *items;
	size_t n;
	int line, col;
};

struct bh_gql_vardef {
	const char *name;
	const char *type;               /* printed type, e.g. "[ID!]!" */
	const char *base;               /* innermost named type, e.g. "ID" */
	bool nonnull;                   /* outermost ! */
	bool list;                      /* outermost is a list */
	struct bh_gql_value *def;       /* default value or NULL */
	int line, col;
};

enum bh_gql_opkind { BH_GQL_QUERY, BH_GQL_MUTATION, BH_GQL_SUBSCRIPTION };

struct bh_gql_op {
	enum bh_gql_opkind kind;
	const char *name;               /* NULL when anonymous */
	struct bh_gql_vardef *vars;
	size_t nvars;
	struct bh_gql_directive *dirs;
	size_t ndirs;
	struct bh_gql_selset *sel;
	int line, col;
};

struct bh_gql_frag {
	const char *name, *type_cond;
	struct bh_gql_selset *sel;
	int line, col;
};

struct bh_gql_doc {
	struct bh_gql_op *ops;
	size_t nops;
	struct bh_gql_frag *frags;
	size_t nfrags;
};

/**
 * Parse src (len bytes). Returns 0, or -1 with a graphql-ruby style message in err
 * ("Parse error on \"}\" (RCURLY) at [1, 5]", "Unexpected end of document") and the
 * 1-based position in line and col (0 when at the end).
 */
int bh_gql_parse(struct bh_gql_arena *a, const char *src, size_t len, struct bh_gql_doc *doc,
		 char *err, size_t errlen, int *line, int *col);

#endif
