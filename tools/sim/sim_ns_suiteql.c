/*
 * sim_ns_suiteql.c - SuiteQL tokenizer, recursive-descent parser and evaluator for the
 * NetSuite REST simulator (see sim_ns_suiteql.h for the supported subset).
 *
 * Owned by the NetSuite REST helper. A parsed statement lives in its own arena and is
 * never modified after parsing. Each run has its own arena and binding tables, so runs
 * are independent; the caller serialises access to the data source.
 *
 * Semantics follow Oracle SQL as SuiteQL exposes it: three-valued logic (a comparison
 * with NULL is unknown), NULLs sort last ascending and first descending, '' || NULL is
 * '', numbers are exact decimals (compared digit by digit, never as double), dates are
 * seconds UTC. Error texts are the "Search error occurred: ..." part of NetSuite's
 * messages; the REST layer wraps them in the 400 INVALID_PARAMETER shape.
 */
#include "sim_ns_suiteql.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "backhaul/errors.h"

/* ======================================================================== arena */

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	_Alignas(16) char data[];
};

struct arena {
	struct arena_chunk *head;
};

static void *arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	n = (n + 15) & ~(size_t)15;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > 16384 ? n : 16384;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = a->head;
		a->head = c;
	}
	void *p = c->data + c->used;
	c->used += n;
	return p;
}

static void arena_free(struct arena *a)
{
	struct arena_chunk *c = a->head, *n;
	for (; c; c = n) {
		n = c->next;
		free(c);
	}
	a->head = NULL;
}

static char *arena_strndup(struct arena *a, const char *s, size_t len)
{
	char *p = arena_alloc(a, len + 1);
	if (!p)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* ======================================================================== AST */

enum node_kind {
	N_LIT,          /* val */
	N_PARAM,        /* idx */
	N_COL,          /* qual (may be NULL), name, idx = column slot id */
	N_FUNC,         /* name (upper-case), args */
	N_CMP,          /* op, args[0..1] */
	N_AND,
	N_OR,
	N_NOT,          /* args[0] */
	N_ISNULL,       /* neg, args[0] */
	N_IN,           /* neg, args[0] subject, args[1..] list */
	N_LIKE,         /* neg, args[0] subject, args[1] pattern, args[2] escape or absent */
	N_BETWEEN,      /* neg, args[0..2] */
	N_NEG,          /* args[0] */
	N_CONCAT,       /* args[0..1] */
	N_SYSDATE,
};

enum cmp_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

struct node {
	enum node_kind kind;
	int op;
	bool neg;
	int idx;
	struct bh_sim_sql_val val;
	char *qual, *name;
	struct node **args;
	size_t nargs;
};

struct sel_item {
	struct node *e;         /* NULL for '*' / 't.*' */
	char *star_qual;        /* for t.*, else NULL */
	char *key;              /* output key (alias / column name / exprN) */
};

struct from_item {
	char *table;
	char *alias;
	int join;               /* 0 = FROM, 1 = INNER JOIN, 2 = LEFT JOIN */
	struct node *on;
};

struct order_item {
	struct node *e;
	int sel_ref;            /* >= 0: use select item value */
	bool desc;
	int nulls;              /* 0 default, 1 first, 2 last */
};

struct bh_sim_sql {
	struct arena arena;
	bool distinct;
	struct sel_item *sel;
	size_t nsel;
	struct from_item *from;
	size_t nfrom;
	struct node *where;
	struct order_item *order;
	size_t norder;
	int nparams;
	int ncols;              /* number of N_COL nodes */
};

/* ======================================================================== tokenizer */

enum tok_kind { T_EOF, T_IDENT, T_STR, T_NUM, T_PARAM, T_SYM };

struct tok {
	enum tok_kind k;
	char *text;             /* IDENT: lower-case; STR: decoded; NUM: digits; SYM: symbol */
	size_t pos;
	bool quoted;            /* a "quoted" identifier */
};

struct parser {
	struct bh_sim_sql *q;
	struct tok *toks;
	size_t ntoks, i;
	char *err;
	size_t errlen;
	int rc;
	int nunnamed;
};

__attribute__((format(printf, 2, 3))) static void perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	if (p->rc)
		return;
	p->rc = BH_EINVAL;
	va_start(ap, fmt);
	snprintf(p->err, p->errlen, "Search error occurred: ");
	if (p->errlen > 23)
		vsnprintf(p->err + 23, p->errlen - 23, fmt, ap);
	va_end(ap);
}

static int tokenize(struct parser *p, const char *s)
{
	size_t cap = 64, n = 0;
	size_t i = 0;
	struct arena *a = &p->q->arena;

	p->toks = arena_alloc(a, cap * sizeof(*p->toks));
	if (!p->toks)
		return BH_ENOMEM;
	for (;;) {
		struct tok t = { 0 };
		while (s[i] && isspace((unsigned char)s[i]))
			i++;
		if (s[i] == '-' && s[i + 1] == '-') {           /* line comment */
			while (s[i] && s[i] != '\n')
				i++;
			continue;
		}
		if (s[i] == '/' && s[i + 1] == '*') {           /* block comment */
			const char *e = strstr(s + i + 2, "*/");
			if (!e) {
				perr(p, "Unterminated comment.");
				return p->rc;
			}
			i = (size_t)(e - s) + 2;
			continue;
		}
		t.pos = i;
		if (!s[i]) {
			t.k = T_EOF;
		} else if (isalpha((unsigned char)s[i]) || s[i] == '_') {
			size_t b = i;
			while (isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '$' || s[i] == '#')
				i++;
			t.k = T_IDENT;
			t.text = arena_strndup(a, s + b, i - b);
			if (!t.text)
				return BH_ENOMEM;
			for (char *c = t.text; *c; c++)
				*c = (char)tolower((unsigned char)*c);
		} else if (s[i] == '"') {
			size_t b = ++i;
			while (s[i] && s[i] != '"')
				i++;
			if (!s[i]) {
				perr(p, "Unterminated quoted identifier.");
				return p->rc;
			}
			t.k = T_IDENT;
			t.quoted = true;
			t.text = arena_strndup(a, s + b, i - b);
			if (!t.text)
				return BH_ENOMEM;
			for (char *c = t.text; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			i++;
		} else if (s[i] == '\'') {
			size_t len = 0, j = i + 1;
			char *o;
			for (;;) {
				if (!s[j]) {
					perr(p, "Unterminated string literal.");
					return p->rc;
				}
				if (s[j] == '\'') {
					if (s[j + 1] == '\'') {
						j += 2;
						len++;
						continue;
					}
					break;
				}
				j++;
				len++;
			}
			o = arena_alloc(a, len + 1);
			if (!o)
				return BH_ENOMEM;
			t.text = o;
			for (j = i + 1; s[j] != '\'' || s[j + 1] == '\''; j++) {
				*o++ = s[j];
				if (s[j] == '\'')
					j++;
			}
			*o = '\0';
			t.k = T_STR;
			i = j + 1;
		} else if (isdigit((unsigned char)s[i]) ||
			   (s[i] == '.' && isdigit((unsigned char)s[i + 1]))) {
			size_t b = i;
			while (isdigit((unsigned char)s[i]))
				i++;
			if (s[i] == '.' && isdigit((unsigned char)s[i + 1])) {
				i++;
				while (isdigit((unsigned char)s[i]))
					i++;
			} else if (s[i] == '.' && !isalpha((unsigned char)s[i + 1])) {
				i++;
			}
			t.k = T_NUM;
			t.text = arena_strndup(a, s + b, i - b);
			if (!t.text)
				return BH_ENOMEM;
		} else if (s[i] == '?') {
			t.k = T_PARAM;
			i++;
		} else {
			static const char *const syms[] = { "<>", "!=", "^=", "<=", ">=", "||",
							     "=", "<", ">", "(", ")", ",", ".",
							     "*", "-", "+", "/" };
			size_t k;
			for (k = 0; k < sizeof(syms) / sizeof(syms[0]); k++)
				if (strncmp(s + i, syms[k], strlen(syms[k])) == 0)
					break;
			if (k == sizeof(syms) / sizeof(syms[0])) {
				perr(p, "Unexpected character '%c' at position %zu.", s[i], i);
				return p->rc;
			}
			t.k = T_SYM;
			t.text = (char *)syms[k];
			i += strlen(syms[k]);
		}
		if (n == cap) {
			struct tok *nt = arena_alloc(a, cap * 2 * sizeof(*nt));
			if (!nt)
				return BH_ENOMEM;
			memcpy(nt, p->toks, n * sizeof(*nt));
			p->toks = nt;
			cap *= 2;
		}
		p->toks[n++] = t;
		if (t.k == T_EOF)
			break;
	}
	p->ntoks = n;
	return 0;
}

/* ======================================================================== parser */

static const struct tok *peek(struct parser *p)
{
	return &p->toks[p->i];
}

static const struct tok *peek2(struct parser *p)
{
	return &p->toks[p->i + 1 < p->ntoks ? p->i + 1 : p->i];
}

static bool is_kw(const struct tok *t, const char *kw)
{
	return t->k == T_IDENT && !t->quoted && strcmp(t->text, kw) == 0;
}

static bool is_sym(const struct tok *t, const char *s)
{
	return t->k == T_SYM && strcmp(t->text, s) == 0;
}

static bool accept_kw(struct parser *p, const char *kw)
{
	if (is_kw(peek(p), kw)) {
		p->i++;
		return true;
	}
	return false;
}

static bool accept_sym(struct parser *p, const char *s)
{
	if (is_sym(peek(p), s)) {
		p->i++;
		return true;
	}
	return false;
}

static const char *tok_desc(const struct tok *t)
{
	switch (t->k) {
	case T_EOF:
		return "end of query";
	case T_PARAM:
		return "?";
	default:
		return t->text;
	}
}

static void expect_kw(struct parser *p, const char *kw)
{
	if (!accept_kw(p, kw))
		perr(p, "Syntax error: expected %s near '%s' at position %zu.", kw,
		     tok_desc(peek(p)), peek(p)->pos);
}

static void expect_sym(struct parser *p, const char *s)
{
	if (!accept_sym(p, s))
		perr(p, "Syntax error: expected '%s' near '%s' at position %zu.", s,
		     tok_desc(peek(p)), peek(p)->pos);
}

static const char *const reserved[] = {
	"select", "from", "where", "join", "inner", "left", "right", "full", "outer", "cross",
	"on", "order", "by", "group", "having", "union", "and", "or", "not", "as", "in",
	"is", "null", "like", "between", "asc", "desc", "nulls", "distinct", "escape",
	"minus", "intersect", "fetch", "offset", "limit", NULL
};

static bool is_reserved(const struct tok *t)
{
	if (t->k != T_IDENT || t->quoted)
		return false;
	for (size_t i = 0; reserved[i]; i++)
		if (strcmp(t->text, reserved[i]) == 0)
			return true;
	return false;
}

static struct node *new_node(struct parser *p, enum node_kind k, size_t nargs)
{
	struct node *n = arena_alloc(&p->q->arena, sizeof(*n));
	if (!n) {
		p->rc = BH_ENOMEM;
		return NULL;
	}
	memset(n, 0, sizeof(*n));
	n->kind = k;
	n->nargs = nargs;
	if (nargs) {
		n->args = arena_alloc(&p->q->arena, nargs * sizeof(*n->args));
		if (!n->args) {
			p->rc = BH_ENOMEM;
			return NULL;
		}
		memset(n->args, 0, nargs * sizeof(*n->args));
	}
	return n;
}

static struct node *parse_expr(struct parser *p);
static struct node *parse_cond(struct parser *p);

/* A list of expressions in parentheses, after '(' has been consumed, up to ')'. */
static struct node **parse_list(struct parser *p, size_t *count)
{
	struct node *tmp[256];
	size_t n = 0;
	struct node **out;

	if (!is_sym(peek(p), ")")) {
		do {
			if (n == sizeof(tmp) / sizeof(tmp[0])) {
				perr(p, "Too many list elements.");
				return NULL;
			}
			tmp[n] = parse_expr(p);
			if (!tmp[n])
				return NULL;
			n++;
		} while (accept_sym(p, ","));
	}
	expect_sym(p, ")");
	if (p->rc)
		return NULL;
	out = arena_alloc(&p->q->arena, (n ? n : 1) * sizeof(*out));
	if (!out) {
		p->rc = BH_ENOMEM;
		return NULL;
	}
	memcpy(out, tmp, n * sizeof(*out));
	*count = n;
	return out;
}

static struct node *parse_primary(struct parser *p)
{
	const struct tok *t = peek(p);
	struct node *n;

	if (p->rc)
		return NULL;
	if (t->k == T_STR || t->k == T_NUM) {
		n = new_node(p, N_LIT, 0);
		if (!n)
			return NULL;
		n->val.type = t->k == T_STR ? BH_SQL_STR : BH_SQL_NUM;
		n->val.s = t->text;
		p->i++;
		return n;
	}
	if (t->k == T_PARAM) {
		n = new_node(p, N_PARAM, 0);
		if (!n)
			return NULL;
		n->idx = p->q->nparams++;
		p->i++;
		return n;
	}
	if (accept_sym(p, "(")) {
		n = parse_cond(p);
		expect_sym(p, ")");
		return p->rc ? NULL : n;
	}
	if (accept_sym(p, "-")) {
		struct node *a = parse_primary(p);
		if (!a)
			return NULL;
		n = new_node(p, N_NEG, 1);
		if (!n)
			return NULL;
		n->args[0] = a;
		return n;
	}
	if (accept_sym(p, "+"))
		return parse_primary(p);
	if (t->k != T_IDENT || (is_reserved(t) && !is_kw(t, "null"))) {
		perr(p, "Syntax error near '%s' at position %zu.", tok_desc(t), t->pos);
		return NULL;
	}
	if (accept_kw(p, "null")) {
		n = new_node(p, N_LIT, 0);
		if (n)
			n->val.type = BH_SQL_NULL;
		return n;
	}
	if (!t->quoted && (strcmp(t->text, "sysdate") == 0 || strcmp(t->text, "current_date") == 0 ||
			   strcmp(t->text, "current_timestamp") == 0 ||
			   strcmp(t->text, "systimestamp") == 0) && !is_sym(peek2(p), "(")) {
		p->i++;
		return new_node(p, N_SYSDATE, 0);
	}
	/* name, name.name, name(args), name.name(args) */
	{
		const char *a = t->text, *b = NULL;
		p->i++;
		if (is_sym(peek(p), ".")) {
			p->i++;
			if (peek(p)->k == T_IDENT) {
				b = peek(p)->text;
				p->i++;
			} else if (is_sym(peek(p), "*")) {
				perr(p, "Syntax error: '%s.*' is only allowed in the select list.", a);
				return NULL;
			} else {
				perr(p, "Syntax error near '%s' at position %zu.", tok_desc(peek(p)),
				     peek(p)->pos);
				return NULL;
			}
		}
		if (accept_sym(p, "(")) {
			size_t nargs = 0;
			struct node **args;
			char *fname;
			size_t flen = strlen(a) + (b ? strlen(b) + 1 : 0);
			fname = arena_alloc(&p->q->arena, flen + 1);
			if (!fname) {
				p->rc = BH_ENOMEM;
				return NULL;
			}
			snprintf(fname, flen + 1, "%s%s%s", a, b ? "." : "", b ? b : "");
			for (char *c = fname; *c; c++)
				*c = (char)toupper((unsigned char)*c);
			if (strcmp(fname, "COUNT") == 0 || strcmp(fname, "SUM") == 0 ||
			    strcmp(fname, "MAX") == 0 || strcmp(fname, "MIN") == 0 ||
			    strcmp(fname, "AVG") == 0) {
				perr(p, "Invalid or unsupported search: aggregate function %s is not "
				     "supported by the simulator.", fname);
				return NULL;
			}
			args = parse_list(p, &nargs);
			if (!args)
				return NULL;
			n = new_node(p, N_FUNC, 0);
			if (!n)
				return NULL;
			n->name = fname;
			n->args = args;
			n->nargs = nargs;
			return n;
		}
		n = new_node(p, N_COL, 0);
		if (!n)
			return NULL;
		n->qual = b ? (char *)a : NULL;
		n->name = (char *)(b ? b : a);
		n->idx = p->q->ncols++;
		return n;
	}
}

static struct node *parse_expr(struct parser *p)
{
	struct node *l = parse_primary(p);
	while (l && is_sym(peek(p), "||")) {
		struct node *r, *n;
		p->i++;
		r = parse_primary(p);
		if (!r)
			return NULL;
		n = new_node(p, N_CONCAT, 2);
		if (!n)
			return NULL;
		n->args[0] = l;
		n->args[1] = r;
		l = n;
	}
	if (l && (is_sym(peek(p), "+") || is_sym(peek(p), "/") ||
		  (is_sym(peek(p), "-")) || (is_sym(peek(p), "*")))) {
		perr(p, "Invalid or unsupported search: arithmetic operator '%s' is not supported "
		     "by the simulator.", peek(p)->text);
		return NULL;
	}
	return l;
}

static struct node *parse_predicate(struct parser *p)
{
	struct node *l = parse_expr(p), *n;
	const struct tok *t;
	bool neg = false;

	if (!l)
		return NULL;
	t = peek(p);
	if (t->k == T_SYM) {
		static const struct {
			const char *s;
			enum cmp_op op;
		} ops[] = { { "=", OP_EQ }, { "<>", OP_NE }, { "!=", OP_NE }, { "^=", OP_NE },
			    { "<", OP_LT }, { "<=", OP_LE }, { ">", OP_GT }, { ">=", OP_GE } };
		for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
			if (strcmp(t->text, ops[k].s) == 0) {
				struct node *r;
				p->i++;
				r = parse_expr(p);
				if (!r)
					return NULL;
				n = new_node(p, N_CMP, 2);
				if (!n)
					return NULL;
				n->op = (int)ops[k].op;
				n->args[0] = l;
				n->args[1] = r;
				return n;
			}
		}
		return l;
	}
	if (accept_kw(p, "is")) {
		neg = accept_kw(p, "not");
		expect_kw(p, "null");
		if (p->rc)
			return NULL;
		n = new_node(p, N_ISNULL, 1);
		if (!n)
			return NULL;
		n->neg = neg;
		n->args[0] = l;
		return n;
	}
	if (is_kw(t, "not") && (is_kw(peek2(p), "in") || is_kw(peek2(p), "like") ||
				is_kw(peek2(p), "between"))) {
		p->i++;
		neg = true;
	}
	if (accept_kw(p, "in")) {
		size_t cnt = 0;
		struct node **list;
		expect_sym(p, "(");
		if (p->rc)
			return NULL;
		if (is_kw(peek(p), "select")) {
			perr(p, "Invalid or unsupported search: subqueries are not supported by the "
			     "simulator.");
			return NULL;
		}
		list = parse_list(p, &cnt);
		if (!list)
			return NULL;
		if (cnt == 0) {
			perr(p, "Syntax error: empty IN list.");
			return NULL;
		}
		n = new_node(p, N_IN, cnt + 1);
		if (!n)
			return NULL;
		n->neg = neg;
		n->args[0] = l;
		memcpy(n->args + 1, list, cnt * sizeof(*list));
		return n;
	}
	if (accept_kw(p, "like")) {
		struct node *pat = parse_expr(p), *esc = NULL;
		if (!pat)
			return NULL;
		if (accept_kw(p, "escape")) {
			esc = parse_expr(p);
			if (!esc)
				return NULL;
		}
		n = new_node(p, N_LIKE, esc ? 3 : 2);
		if (!n)
			return NULL;
		n->neg = neg;
		n->args[0] = l;
		n->args[1] = pat;
		if (esc)
			n->args[2] = esc;
		return n;
	}
	if (accept_kw(p, "between")) {
		struct node *lo = parse_expr(p), *hi;
		if (!lo)
			return NULL;
		expect_kw(p, "and");
		hi = parse_expr(p);
		if (!hi)
			return NULL;
		n = new_node(p, N_BETWEEN, 3);
		if (!n)
			return NULL;
		n->neg = neg;
		n->args[0] = l;
		n->args[1] = lo;
		n->args[2] = hi;
		return n;
	}
	if (neg)
		perr(p, "Syntax error near NOT.");
	return l;
}

static struct node *parse_not(struct parser *p)
{
	if (accept_kw(p, "not")) {
		struct node *a = parse_not(p), *n;
		if (!a)
			return NULL;
		n = new_node(p, N_NOT, 1);
		if (!n)
			return NULL;
		n->args[0] = a;
		return n;
	}
	return parse_predicate(p);
}

static struct node *parse_and(struct parser *p)
{
	struct node *l = parse_not(p);
	while (l && accept_kw(p, "and")) {
		struct node *r = parse_not(p), *n;
		if (!r)
			return NULL;
		n = new_node(p, N_AND, 2);
		if (!n)
			return NULL;
		n->args[0] = l;
		n->args[1] = r;
		l = n;
	}
	return l;
}

static struct node *parse_cond(struct parser *p)
{
	struct node *l = parse_and(p);
	while (l && accept_kw(p, "or")) {
		struct node *r = parse_and(p), *n;
		if (!r)
			return NULL;
		n = new_node(p, N_OR, 2);
		if (!n)
			return NULL;
		n->args[0] = l;
		n->args[1] = r;
		l = n;
	}
	return l;
}

/* Optional alias after a select item or table: [AS] ident. */
static char *parse_alias(struct parser *p, bool allow_as)
{
	const struct tok *t;
	if (allow_as && accept_kw(p, "as")) {
		t = peek(p);
		if (t->k != T_IDENT) {
			perr(p, "Syntax error: expected an alias after AS near '%s'.", tok_desc(t));
			return NULL;
		}
		p->i++;
		return t->text;
	}
	t = peek(p);
	if (t->k == T_IDENT && !is_reserved(t)) {
		p->i++;
		return t->text;
	}
	return NULL;
}

#define MAX_ITEMS 128

static int parse_statement(struct parser *p)
{
	struct bh_sim_sql *q = p->q;
	struct sel_item sel[MAX_ITEMS];
	struct from_item from[16];
	struct order_item order[32];
	size_t nsel = 0, nfrom = 0, norder = 0;

	expect_kw(p, "select");
	if (p->rc)
		return p->rc;
	if (accept_kw(p, "distinct"))
		q->distinct = true;
	else
		accept_kw(p, "all");
	do {
		struct sel_item it = { 0 };
		if (nsel == MAX_ITEMS) {
			perr(p, "Too many columns in the select list.");
			return p->rc;
		}
		if (accept_sym(p, "*")) {
			sel[nsel++] = it;
			continue;
		}
		if (peek(p)->k == T_IDENT && is_sym(peek2(p), ".") &&
		    is_sym(&p->toks[p->i + 2 < p->ntoks ? p->i + 2 : p->i], "*")) {
			it.star_qual = peek(p)->text;
			p->i += 3;
			sel[nsel++] = it;
			continue;
		}
		it.e = parse_expr(p);
		if (!it.e)
			return p->rc ? p->rc : BH_EINVAL;
		if (it.e->kind == N_COL && (is_sym(peek(p), "=") || is_kw(peek(p), "is"))) {
			perr(p, "Syntax error near '%s' at position %zu.", tok_desc(peek(p)),
			     peek(p)->pos);
			return p->rc;
		}
		it.key = parse_alias(p, true);
		if (p->rc)
			return p->rc;
		if (!it.key) {
			if (it.e->kind == N_COL) {
				it.key = it.e->name;
			} else {
				it.key = arena_alloc(&q->arena, 24);
				if (!it.key)
					return BH_ENOMEM;
				snprintf(it.key, 24, "expr%d", ++p->nunnamed);
			}
		}
		sel[nsel++] = it;
	} while (accept_sym(p, ","));

	expect_kw(p, "from");
	if (p->rc)
		return p->rc;
	for (;;) {
		struct from_item f = { 0 };
		const struct tok *t;
		if (nfrom > 0) {
			if (accept_kw(p, "inner")) {
				expect_kw(p, "join");
				f.join = 1;
			} else if (accept_kw(p, "left")) {
				accept_kw(p, "outer");
				expect_kw(p, "join");
				f.join = 2;
			} else if (accept_kw(p, "join")) {
				f.join = 1;
			} else if (is_kw(peek(p), "right") || is_kw(peek(p), "full") ||
				   is_kw(peek(p), "cross") || is_sym(peek(p), ",")) {
				perr(p, "Invalid or unsupported search: only INNER and LEFT OUTER "
				     "joins with ON are supported by the simulator.");
				return p->rc;
			} else {
				break;
			}
			if (p->rc)
				return p->rc;
		}
		if (nfrom == sizeof(from) / sizeof(from[0])) {
			perr(p, "Too many joins.");
			return p->rc;
		}
		t = peek(p);
		if (t->k != T_IDENT || is_reserved(t)) {
			perr(p, "Syntax error: expected a record type near '%s' at position %zu.",
			     tok_desc(t), t->pos);
			return p->rc;
		}
		f.table = t->text;
		p->i++;
		f.alias = parse_alias(p, false);
		if (!f.alias)
			f.alias = f.table;
		if (f.join) {
			expect_kw(p, "on");
			if (p->rc)
				return p->rc;
			f.on = parse_cond(p);
			if (!f.on)
				return p->rc ? p->rc : BH_EINVAL;
		}
		from[nfrom++] = f;
	}
	if (accept_kw(p, "where")) {
		q->where = parse_cond(p);
		if (!q->where)
			return p->rc ? p->rc : BH_EINVAL;
	}
	if (is_kw(peek(p), "group") || is_kw(peek(p), "having") || is_kw(peek(p), "union") ||
	    is_kw(peek(p), "minus") || is_kw(peek(p), "intersect")) {
		perr(p, "Invalid or unsupported search: %s is not supported by the simulator.",
		     peek(p)->text);
		return p->rc;
	}
	if (accept_kw(p, "order")) {
		expect_kw(p, "by");
		if (p->rc)
			return p->rc;
		do {
			struct order_item o = { .sel_ref = -1 };
			if (norder == sizeof(order) / sizeof(order[0])) {
				perr(p, "Too many ORDER BY terms.");
				return p->rc;
			}
			o.e = parse_expr(p);
			if (!o.e)
				return p->rc ? p->rc : BH_EINVAL;
			if (accept_kw(p, "desc"))
				o.desc = true;
			else
				accept_kw(p, "asc");
			if (accept_kw(p, "nulls")) {
				if (accept_kw(p, "first"))
					o.nulls = 1;
				else if (accept_kw(p, "last"))
					o.nulls = 2;
				else
					perr(p, "Syntax error: expected FIRST or LAST after NULLS.");
			}
			if (o.e->kind == N_LIT && o.e->val.type == BH_SQL_NUM) {
				long k = strtol(o.e->val.s, NULL, 10);
				if (k < 1 || (size_t)k > nsel || strchr(o.e->val.s, '.')) {
					perr(p, "ORDER BY item must be the number of a SELECT-list "
					     "expression.");
					return p->rc;
				}
				o.sel_ref = (int)k - 1;
			} else if (o.e->kind == N_COL && !o.e->qual) {
				/* a bare name refers to a select-list alias first (Oracle) */
				for (size_t k = 0; o.sel_ref < 0 && k < nsel; k++)
					if (sel[k].e && strcmp(sel[k].key, o.e->name) == 0)
						o.sel_ref = (int)k;
			}
			order[norder++] = o;
		} while (accept_sym(p, ","));
	}
	if (p->rc)
		return p->rc;
	if (peek(p)->k != T_EOF) {
		perr(p, "Syntax error near '%s' at position %zu.", tok_desc(peek(p)), peek(p)->pos);
		return p->rc;
	}
	q->sel = arena_alloc(&q->arena, nsel * sizeof(*sel));
	q->from = arena_alloc(&q->arena, nfrom * sizeof(*from));
	q->order = arena_alloc(&q->arena, (norder ? norder : 1) * sizeof(*order));
	if (!q->sel || !q->from || !q->order)
		return BH_ENOMEM;
	memcpy(q->sel, sel, nsel * sizeof(*sel));
	memcpy(q->from, from, nfrom * sizeof(*from));
	memcpy(q->order, order, norder * sizeof(*order));
	q->nsel = nsel;
	q->nfrom = nfrom;
	q->norder = norder;
	return 0;
}

int bh_sim_sql_parse(const char *text, struct bh_sim_sql **out, char *err, size_t errlen)
{
	struct bh_sim_sql *q = calloc(1, sizeof(*q));
	struct parser p = { .q = q, .err = err, .errlen = errlen };
	int rc;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	if (!q)
		return BH_ENOMEM;
	rc = tokenize(&p, text ? text : "");
	if (rc == 0)
		rc = parse_statement(&p);
	if (rc == 0 && p.rc)
		rc = p.rc;
	if (rc) {
		if (rc == BH_ENOMEM && errlen)
			snprintf(err, errlen, "Out of memory.");
		bh_sim_sql_free(q);
		return rc;
	}
	*out = q;
	return 0;
}

void bh_sim_sql_free(struct bh_sim_sql *q)
{
	if (!q)
		return;
	arena_free(&q->arena);
	free(q);
}

/* ======================================================================== numbers */

struct dec {
	bool neg;
	const char *ip;         /* integer digits without leading zeros */
	size_t il;
	const char *fp;         /* fraction digits without trailing zeros */
	size_t fl;
};

static bool dec_split(const char *s, struct dec *d)
{
	const char *p = s;
	memset(d, 0, sizeof(*d));
	if (!s)
		return false;
	while (*p == ' ')
		p++;
	if (*p == '-' || *p == '+')
		d->neg = *p++ == '-';
	d->ip = p;
	while (isdigit((unsigned char)*p))
		p++;
	d->il = (size_t)(p - d->ip);
	if (*p == '.') {
		p++;
		d->fp = p;
		while (isdigit((unsigned char)*p))
			p++;
		d->fl = (size_t)(p - d->fp);
	}
	while (*p == ' ')
		p++;
	if (*p || (d->il == 0 && d->fl == 0))
		return false;
	while (d->il && *d->ip == '0') {
		d->ip++;
		d->il--;
	}
	while (d->fl && d->fp[d->fl - 1] == '0')
		d->fl--;
	if (d->il == 0 && d->fl == 0)
		d->neg = false;
	return true;
}

bool bh_sim_sql_is_dec(const char *s)
{
	struct dec d;
	return dec_split(s, &d);
}

int bh_sim_sql_dec_cmp(const char *a, const char *b)
{
	struct dec x, y;
	int mag = 0;
	if (!dec_split(a, &x) || !dec_split(b, &y))
		return 0;
	if (x.neg != y.neg)
		return x.neg ? -1 : 1;
	if (x.il != y.il) {
		mag = x.il < y.il ? -1 : 1;
	} else {
		int c = memcmp(x.ip, y.ip, x.il);
		if (c) {
			mag = c < 0 ? -1 : 1;
		} else {
			size_t n = x.fl > y.fl ? x.fl : y.fl;
			for (size_t i = 0; i < n && !mag; i++) {
				char cx = i < x.fl ? x.fp[i] : '0';
				char cy = i < y.fl ? y.fp[i] : '0';
				if (cx != cy)
					mag = cx < cy ? -1 : 1;
			}
		}
	}
	return x.neg ? -mag : mag;
}

/* Canonical text of a decimal: no leading/trailing zeros, "0" for zero. */
static char *dec_canon(struct arena *a, const char *s, bool negate)
{
	struct dec d;
	char *out, *o;
	if (!dec_split(s, &d))
		return arena_strndup(a, s, strlen(s));
	if (negate && (d.il || d.fl))
		d.neg = !d.neg;
	out = arena_alloc(a, d.il + d.fl + 4);
	if (!out)
		return NULL;
	o = out;
	if (d.neg)
		*o++ = '-';
	if (d.il) {
		memcpy(o, d.ip, d.il);
		o += d.il;
	} else {
		*o++ = '0';
	}
	if (d.fl) {
		*o++ = '.';
		memcpy(o, d.fp, d.fl);
		o += d.fl;
	}
	*o = '\0';
	return out;
}

/* ======================================================================== dates */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, unsigned m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

struct tm_parts {
	int64_t y;
	unsigned mo, d, h, mi, s;
};

static int64_t parts_to_epoch(const struct tm_parts *t)
{
	return days_from_civil(t->y, t->mo, t->d) * 86400 + t->h * 3600 + t->mi * 60 + t->s;
}

static void epoch_to_parts(int64_t e, struct tm_parts *t)
{
	int64_t days = e >= 0 ? e / 86400 : -((-e + 86399) / 86400);
	int64_t rem = e - days * 86400;
	civil_from_days(days, &t->y, &t->mo, &t->d);
	t->h = (unsigned)(rem / 3600);
	t->mi = (unsigned)(rem / 60 % 60);
	t->s = (unsigned)(rem % 60);
}

/* Format tokens, longest first. */
enum dtok { D_LIT, D_YYYY, D_HH24, D_HH12, D_HH, D_MI, D_MM, D_DD, D_SS, D_AM, D_PM, D_END };

static enum dtok next_dtok(const char **f)
{
	static const struct {
		const char *s;
		enum dtok t;
	} tk[] = { { "YYYY", D_YYYY }, { "HH24", D_HH24 }, { "HH12", D_HH12 }, { "HH", D_HH },
		   { "MI", D_MI }, { "MM", D_MM }, { "DD", D_DD }, { "SS", D_SS },
		   { "AM", D_AM }, { "PM", D_PM } };
	if (!**f)
		return D_END;
	for (size_t i = 0; i < sizeof(tk) / sizeof(tk[0]); i++) {
		size_t n = strlen(tk[i].s);
		if (strncasecmp(*f, tk[i].s, n) == 0) {
			*f += n;
			return tk[i].t;
		}
	}
	return D_LIT;
}

int bh_sim_sql_format_date(int64_t t, const char *fmt, char *buf, size_t len)
{
	struct tm_parts p;
	size_t o = 0;
	epoch_to_parts(t, &p);
	if (!fmt) {
		snprintf(buf, len, "%u/%u/%04lld", p.mo, p.d, (long long)p.y);
		return 0;
	}
	while (*fmt) {
		char piece[32];
		enum dtok k = next_dtok(&fmt);
		piece[0] = '\0';
		switch (k) {
		case D_YYYY:
			snprintf(piece, sizeof(piece), "%04lld", (long long)p.y);
			break;
		case D_HH24:
			snprintf(piece, sizeof(piece), "%02u", p.h);
			break;
		case D_HH12:
		case D_HH:
			snprintf(piece, sizeof(piece), "%02u", p.h % 12 ? p.h % 12 : 12);
			break;
		case D_MI:
			snprintf(piece, sizeof(piece), "%02u", p.mi);
			break;
		case D_MM:
			snprintf(piece, sizeof(piece), "%02u", p.mo);
			break;
		case D_DD:
			snprintf(piece, sizeof(piece), "%02u", p.d);
			break;
		case D_SS:
			snprintf(piece, sizeof(piece), "%02u", p.s);
			break;
		case D_AM:
		case D_PM:
			snprintf(piece, sizeof(piece), "%s", p.h < 12 ? "AM" : "PM");
			break;
		case D_LIT:
			if (*fmt == '"') {
				const char *e = strchr(fmt + 1, '"');
				size_t n;
				if (!e)
					return BH_EINVAL;
				n = (size_t)(e - fmt - 1);
				if (n >= sizeof(piece))
					return BH_EINVAL;
				memcpy(piece, fmt + 1, n);
				piece[n] = '\0';
				fmt = e + 1;
			} else if (isalpha((unsigned char)*fmt)) {
				return BH_EINVAL;
			} else {
				piece[0] = *fmt++;
				piece[1] = '\0';
			}
			break;
		case D_END:
			break;
		}
		size_t pl = strlen(piece);
		if (o + pl + 1 > len)
			return BH_EINVAL;
		memcpy(buf + o, piece, pl);
		o += pl;
	}
	buf[o] = '\0';
	return 0;
}

static bool read_num(const char **s, int maxd, unsigned *out)
{
	unsigned v = 0;
	int n = 0;
	while (n < maxd && isdigit((unsigned char)**s)) {
		v = v * 10 + (unsigned)(**s - '0');
		(*s)++;
		n++;
	}
	*out = v;
	return n > 0;
}

static int check_parts(struct tm_parts *p, int meridian)
{
	if (meridian) {
		if (p->h < 1 || p->h > 12)
			return BH_EINVAL;
		p->h %= 12;
		if (meridian == 2)
			p->h += 12;
	}
	if (p->mo < 1 || p->mo > 12 || p->d < 1 || p->d > (unsigned)days_in_month(p->y, p->mo) ||
	    p->h > 23 || p->mi > 59 || p->s > 59 || p->y < 1 || p->y > 9999)
		return BH_EINVAL;
	return 0;
}

int bh_sim_sql_parse_date(const char *text, const char *fmt, int64_t *t)
{
	struct tm_parts p = { .y = 1970, .mo = 1, .d = 1 };
	const char *s = text;
	int meridian = 0;
	unsigned v;

	while (*s == ' ')
		s++;
	if (!fmt) {
		/* M/D/YYYY [h:mm[:ss] [am|pm]] */
		unsigned yy;
		if (!read_num(&s, 2, &p.mo) || *s++ != '/' || !read_num(&s, 2, &p.d) ||
		    *s++ != '/' || !read_num(&s, 4, &yy))
			return BH_EINVAL;
		p.y = yy;
		while (*s == ' ')
			s++;
		if (*s) {
			if (!read_num(&s, 2, &p.h) || *s++ != ':' || !read_num(&s, 2, &p.mi))
				return BH_EINVAL;
			if (*s == ':' && (s++, !read_num(&s, 2, &p.s)))
				return BH_EINVAL;
			while (*s == ' ')
				s++;
			if (strncasecmp(s, "am", 2) == 0 || strncasecmp(s, "pm", 2) == 0) {
				meridian = tolower((unsigned char)*s) == 'a' ? 1 : 2;
				s += 2;
			}
			while (*s == ' ')
				s++;
			if (*s)
				return BH_EINVAL;
		}
	} else {
		while (*fmt) {
			enum dtok k = next_dtok(&fmt);
			switch (k) {
			case D_YYYY:
				if (!read_num(&s, 4, &v))
					return BH_EINVAL;
				p.y = v;
				break;
			case D_HH24:
				if (!read_num(&s, 2, &p.h))
					return BH_EINVAL;
				break;
			case D_HH12:
			case D_HH:
				if (!read_num(&s, 2, &p.h))
					return BH_EINVAL;
				if (!meridian)
					meridian = 1;
				break;
			case D_MI:
				if (!read_num(&s, 2, &p.mi))
					return BH_EINVAL;
				break;
			case D_MM:
				if (!read_num(&s, 2, &p.mo))
					return BH_EINVAL;
				break;
			case D_DD:
				if (!read_num(&s, 2, &p.d))
					return BH_EINVAL;
				break;
			case D_SS:
				if (!read_num(&s, 2, &p.s))
					return BH_EINVAL;
				break;
			case D_AM:
			case D_PM:
				if (strncasecmp(s, "am", 2) == 0)
					meridian = 1;
				else if (strncasecmp(s, "pm", 2) == 0)
					meridian = 2;
				else
					return BH_EINVAL;
				s += 2;
				break;
			case D_LIT:
				if (*fmt == '"') {
					const char *e = strchr(fmt + 1, '"');
					size_t n;
					if (!e)
						return BH_EINVAL;
					n = (size_t)(e - fmt - 1);
					if (strncmp(s, fmt + 1, n) != 0)
						return BH_EINVAL;
					s += n;
					fmt = e + 1;
				} else if (isalnum((unsigned char)*fmt)) {
					return BH_EINVAL;
				} else {
					/* Oracle accepts any punctuation for a separator. */
					if (!*s || isalnum((unsigned char)*s))
						return BH_EINVAL;
					s++;
					fmt++;
				}
				break;
			case D_END:
				break;
			}
		}
		while (*s == ' ')
			s++;
		if (*s)
			return BH_EINVAL;
	}
	if (check_parts(&p, meridian))
		return BH_EINVAL;
	*t = parts_to_epoch(&p);
	return 0;
}

/* ======================================================================== evaluation */

struct bh_sim_sql_ctx {
	const struct bh_sim_sql *q;
	const struct bh_sim_sql_run *run;
	struct arena arena;
	const struct bh_sim_sql_table **tabs;   /* per FROM item */
	int *slot;                              /* per N_COL idx: FROM item index */
	const char **colname;                   /* per N_COL idx: canonical column name */
	void **cur;                             /* current row per FROM item */
	struct bh_sim_sql_val *params;
	char *err;
	size_t errlen;
	int rc;
	/* results */
	struct result_row **rows;
	size_t nrows, caprows;
	size_t nout;                            /* output columns after '*' expansion */
	const char **outkeys;
};

struct result_row {
	const char **vals;                      /* nout strings (NULL = omitted) */
	struct bh_sim_sql_val *keys;            /* norder sort keys */
	size_t seq;
};

char *bh_sim_sql_strndup(struct bh_sim_sql_ctx *ctx, const char *s, size_t len)
{
	return arena_strndup(&ctx->arena, s, len);
}

char *bh_sim_sql_printf(struct bh_sim_sql_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	char small[128];
	int n;
	char *out;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	out = arena_alloc(&ctx->arena, (size_t)n + 1);
	if (!out)
		return NULL;
	if ((size_t)n < sizeof(small)) {
		memcpy(out, small, (size_t)n + 1);
	} else {
		va_start(ap, fmt);
		vsnprintf(out, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	return out;
}

__attribute__((format(printf, 2, 3))) static int rerr(struct bh_sim_sql_ctx *c, const char *fmt,
						       ...)
{
	va_list ap;
	if (c->rc)
		return c->rc;
	c->rc = BH_EINVAL;
	va_start(ap, fmt);
	if (strncmp(fmt, "Invalid search type", 19) == 0) {
		vsnprintf(c->err, c->errlen, fmt, ap);
	} else {
		snprintf(c->err, c->errlen, "Search error occurred: ");
		if (c->errlen > 23)
			vsnprintf(c->err + 23, c->errlen - 23, fmt, ap);
	}
	va_end(ap);
	return c->rc;
}

static int oom(struct bh_sim_sql_ctx *c)
{
	if (!c->rc) {
		c->rc = BH_ENOMEM;
		snprintf(c->err, c->errlen, "Out of memory.");
	}
	return c->rc;
}

static int64_t tz_off(const struct bh_sim_sql_ctx *c, int64_t t)
{
	return c->run->tz_offset ? c->run->tz_offset(c->run->src, t) : 0;
}

/* Local wall-clock seconds -> UTC seconds (two passes settle DST edges). */
static int64_t local_to_utc(const struct bh_sim_sql_ctx *c, int64_t local)
{
	int64_t t = local - tz_off(c, local);
	return local - tz_off(c, t);
}

static int parse_local(const struct bh_sim_sql_ctx *c, const char *text, const char *fmt,
		       int64_t *t)
{
	int64_t local;
	if (bh_sim_sql_parse_date(text, fmt, &local))
		return BH_EINVAL;
	*t = local_to_utc(c, local);
	return 0;
}

static const struct bh_sim_sql_table *find_table(const struct bh_sim_sql_run *run,
						 const char *name)
{
	for (size_t i = 0; i < run->n_tables; i++)
		if (strcmp(run->tables[i].name, name) == 0)
			return &run->tables[i];
	return NULL;
}

/* The canonical column name when table t has it, else NULL. */
static const char *table_column(const struct bh_sim_sql_table *t, const char *name)
{
	for (size_t i = 0; t->columns[i]; i++)
		if (strcmp(t->columns[i], name) == 0)
			return t->columns[i];
	if (t->prefixes)
		for (size_t i = 0; t->prefixes[i]; i++)
			if (strncmp(name, t->prefixes[i], strlen(t->prefixes[i])) == 0 &&
			    strlen(name) > strlen(t->prefixes[i]))
				return name;
	return NULL;
}

static int unknown_ident(struct bh_sim_sql_ctx *c, const char *name)
{
	char avail[512];
	size_t o = 0;
	for (size_t i = 0; i < c->q->nfrom && o < sizeof(avail); i++)
		o += (size_t)snprintf(avail + o, sizeof(avail) - o, "%s%s=%s", i ? ", " : "",
				      c->q->from[i].alias, c->q->from[i].table);
	return rerr(c, "Unknown identifier '%s'. Available identifiers are: {%s}.", name, avail);
}

static int bind_node(struct bh_sim_sql_ctx *c, const struct node *n, size_t visible)
{
	if (!n)
		return 0;
	if (n->kind == N_COL) {
		const struct bh_sim_sql *q = c->q;
		int found = -1;
		if (n->qual) {
			for (size_t i = 0; i < visible; i++)
				if (strcmp(q->from[i].alias, n->qual) == 0)
					found = (int)i;
			if (found < 0) {
				for (size_t i = visible; i < q->nfrom; i++)
					if (strcmp(q->from[i].alias, n->qual) == 0)
						return rerr(c, "Invalid or unsupported search: '%s' is "
							    "referenced before it is joined.", n->qual);
				return unknown_ident(c, n->qual);
			}
			c->colname[n->idx] = table_column(c->tabs[found], n->name);
			if (!c->colname[n->idx])
				return rerr(c, "Field '%s' for record '%s' was not found.", n->name,
					    c->tabs[found]->label);
		} else {
			for (size_t i = 0; i < visible; i++) {
				const char *cn = table_column(c->tabs[i], n->name);
				if (!cn)
					continue;
				if (found >= 0)
					return rerr(c, "Column '%s' is ambiguously defined.", n->name);
				found = (int)i;
				c->colname[n->idx] = cn;
			}
			if (found < 0)
				return rerr(c, "Field '%s' for record '%s' was not found.", n->name,
					    c->tabs[0]->label);
		}
		c->slot[n->idx] = found;
		return 0;
	}
	if (n->kind == N_FUNC) {
		static const char *const known[] = { "BUILTIN.DF", "TO_DATE", "TO_TIMESTAMP",
						     "TO_CHAR", "TO_NUMBER", "UPPER", "LOWER",
						     "NVL", "COALESCE", "ABS", "TRUNC", NULL };
		size_t k;
		for (k = 0; known[k]; k++)
			if (strcmp(known[k], n->name) == 0)
				break;
		if (!known[k])
			return rerr(c, "Invalid or unsupported search: unknown function %s.",
				    n->name);
	}
	for (size_t i = 0; i < n->nargs; i++) {
		int rc = bind_node(c, n->args[i], visible);
		if (rc)
			return rc;
	}
	return 0;
}

static int eval(struct bh_sim_sql_ctx *c, const struct node *n, struct bh_sim_sql_val *v);

static int to_text(struct bh_sim_sql_ctx *c, const struct bh_sim_sql_val *v, const char **out)
{
	char buf[64];
	switch (v->type) {
	case BH_SQL_NULL:
		*out = NULL;
		return 0;
	case BH_SQL_STR:
		*out = v->s;
		return 0;
	case BH_SQL_NUM:
		*out = dec_canon(&c->arena, v->s, false);
		return *out ? 0 : oom(c);
	case BH_SQL_DATE:
		bh_sim_sql_format_date(v->t + tz_off(c, v->t), NULL, buf, sizeof(buf));
		*out = arena_strndup(&c->arena, buf, strlen(buf));
		return *out ? 0 : oom(c);
	}
	return 0;
}

static int date_err(struct bh_sim_sql_ctx *c, const char *text, const char *fmt)
{
	return rerr(c, "Parse of date/time \"%s\" failed with date format \"%s\" in time zone %s",
		    text, fmt ? fmt : "M/d/yyyy", c->run->tz_name ? c->run->tz_name : "UTC");
}

/* Compare a and b; *res <0/0/>0; returns 1 when unknown (a NULL), 0, or an error. */
static int compare(struct bh_sim_sql_ctx *c, const struct bh_sim_sql_val *a,
		   const struct bh_sim_sql_val *b, int *res)
{
	if (a->type == BH_SQL_NULL || b->type == BH_SQL_NULL)
		return 1;
	if (a->type == BH_SQL_DATE || b->type == BH_SQL_DATE) {
		int64_t x, y;
		const struct bh_sim_sql_val *o = a->type == BH_SQL_DATE ? b : a;
		if (o->type == BH_SQL_NUM)
			return rerr(c, "Invalid or unsupported search: cannot compare a date with "
				    "a number.");
		if (o->type == BH_SQL_STR) {
			int64_t t;
			if (parse_local(c, o->s, NULL, &t))
				return date_err(c, o->s, NULL);
			x = a->type == BH_SQL_DATE ? a->t : t;
			y = b->type == BH_SQL_DATE ? b->t : t;
		} else {
			x = a->t;
			y = b->t;
		}
		*res = x < y ? -1 : x > y;
		return 0;
	}
	if (a->type == BH_SQL_NUM || b->type == BH_SQL_NUM) {
		const char *x = a->s, *y = b->s;
		if (!bh_sim_sql_is_dec(x) || !bh_sim_sql_is_dec(y))
			return rerr(c, "Invalid number: '%s' cannot be converted to a number.",
				    bh_sim_sql_is_dec(x) ? y : x);
		*res = bh_sim_sql_dec_cmp(x, y);
		return 0;
	}
	*res = strcmp(a->s, b->s);
	*res = *res < 0 ? -1 : *res > 0;
	return 0;
}

static bool like_match(const char *s, const char *p, int esc)
{
	while (*p) {
		if (esc && *p == esc && p[1]) {
			if (*s != p[1])
				return false;
			s++;
			p += 2;
		} else if (*p == '%') {
			while (*p == '%')
				p++;
			if (!*p)
				return true;
			for (; *s; s++)
				if (like_match(s, p, esc))
					return true;
			return like_match(s, p, esc);
		} else if (*p == '_') {
			if (!*s)
				return false;
			s++;
			p++;
		} else {
			if (*s != *p)
				return false;
			s++;
			p++;
		}
	}
	return *s == '\0';
}

/* Truth value: 1 true, 0 false, -1 unknown; errors through c->rc. */
static int cond(struct bh_sim_sql_ctx *c, const struct node *n)
{
	struct bh_sim_sql_val a, b;
	int r, res;

	if (c->rc)
		return 0;
	switch (n->kind) {
	case N_AND: {
		int x = cond(c, n->args[0]);
		if (x == 0 || c->rc)
			return 0;
		int y = cond(c, n->args[1]);
		if (y == 0)
			return 0;
		return (x == 1 && y == 1) ? 1 : -1;
	}
	case N_OR: {
		int x = cond(c, n->args[0]);
		if (x == 1 || c->rc)
			return c->rc ? 0 : 1;
		int y = cond(c, n->args[1]);
		if (y == 1)
			return 1;
		return (x == 0 && y == 0) ? 0 : -1;
	}
	case N_NOT: {
		int x = cond(c, n->args[0]);
		return x == -1 ? -1 : !x;
	}
	case N_CMP:
		if (eval(c, n->args[0], &a) || eval(c, n->args[1], &b))
			return 0;
		r = compare(c, &a, &b, &res);
		if (r < 0)
			return 0;
		if (r == 1)
			return -1;
		switch ((enum cmp_op)n->op) {
		case OP_EQ:
			return res == 0;
		case OP_NE:
			return res != 0;
		case OP_LT:
			return res < 0;
		case OP_LE:
			return res <= 0;
		case OP_GT:
			return res > 0;
		case OP_GE:
			return res >= 0;
		}
		return 0;
	case N_ISNULL:
		if (eval(c, n->args[0], &a))
			return 0;
		return (a.type == BH_SQL_NULL) != n->neg;
	case N_IN: {
		bool unknown = false;
		if (eval(c, n->args[0], &a))
			return 0;
		if (a.type == BH_SQL_NULL)
			return -1;
		for (size_t i = 1; i < n->nargs; i++) {
			if (eval(c, n->args[i], &b))
				return 0;
			r = compare(c, &a, &b, &res);
			if (r < 0)
				return 0;
			if (r == 1) {
				unknown = true;
				continue;
			}
			if (res == 0)
				return !n->neg;
		}
		if (unknown)
			return -1;
		return n->neg;
	}
	case N_LIKE: {
		const char *s, *pat;
		int esc = 0;
		if (eval(c, n->args[0], &a) || eval(c, n->args[1], &b))
			return 0;
		if (a.type == BH_SQL_NULL || b.type == BH_SQL_NULL)
			return -1;
		if (n->nargs > 2) {
			struct bh_sim_sql_val e;
			const char *es;
			if (eval(c, n->args[2], &e) || to_text(c, &e, &es))
				return 0;
			if (!es || strlen(es) != 1) {
				rerr(c, "Invalid escape character in LIKE.");
				return 0;
			}
			esc = (unsigned char)es[0];
		}
		if (to_text(c, &a, &s) || to_text(c, &b, &pat))
			return 0;
		return like_match(s, pat, esc) != n->neg;
	}
	case N_BETWEEN: {
		struct bh_sim_sql_val lo, hi;
		int r1, r2, lo_ok, hi_ok;
		if (eval(c, n->args[0], &a) || eval(c, n->args[1], &lo) || eval(c, n->args[2], &hi))
			return 0;
		r1 = compare(c, &a, &lo, &res);
		if (r1 < 0)
			return 0;
		lo_ok = r1 == 1 ? -1 : res >= 0;
		r2 = compare(c, &a, &hi, &res);
		if (r2 < 0)
			return 0;
		hi_ok = r2 == 1 ? -1 : res <= 0;
		if (lo_ok == 0 || hi_ok == 0)
			return n->neg ? 1 : 0;
		if (lo_ok == -1 || hi_ok == -1)
			return -1;
		return !n->neg;
	}
	default:
		rerr(c, "Invalid or unsupported search: a value is used as a condition.");
		return 0;
	}
}

static int eval_func(struct bh_sim_sql_ctx *c, const struct node *n, struct bh_sim_sql_val *v)
{
	struct bh_sim_sql_val a = { 0 }, f = { 0 };
	const char *name = n->name;

	memset(v, 0, sizeof(*v));
	if (strcmp(name, "BUILTIN.DF") == 0) {
		const struct node *col = n->nargs == 1 ? n->args[0] : NULL;
		if (!col)
			return rerr(c, "BUILTIN.DF takes one argument.");
		if (col->kind == N_COL) {
			int s = c->slot[col->idx];
			void *row = c->cur[s];
			if (!row)
				return 0;
			return c->tabs[s]->column(c->run->src, row, c->colname[col->idx], true, c,
						  v) ? oom(c) : 0;
		}
		return eval(c, col, v);
	}
	if (strcmp(name, "NVL") == 0 || strcmp(name, "COALESCE") == 0) {
		if ((strcmp(name, "NVL") == 0 && n->nargs != 2) || n->nargs < 1)
			return rerr(c, "%s: wrong number of arguments.", name);
		for (size_t i = 0; i < n->nargs; i++) {
			if (eval(c, n->args[i], v))
				return c->rc;
			if (v->type != BH_SQL_NULL)
				return 0;
		}
		return 0;
	}
	if (n->nargs < 1 || n->nargs > 2)
		return rerr(c, "%s: wrong number of arguments.", name);
	if (eval(c, n->args[0], &a))
		return c->rc;
	if (n->nargs == 2 && eval(c, n->args[1], &f))
		return c->rc;
	if (a.type == BH_SQL_NULL)
		return 0;
	if (n->nargs == 2 && f.type != BH_SQL_STR)
		return rerr(c, "%s: the format must be a string.", name);
	if (strcmp(name, "TO_DATE") == 0 || strcmp(name, "TO_TIMESTAMP") == 0) {
		if (a.type == BH_SQL_DATE) {
			*v = a;
			return 0;
		}
		if (a.type != BH_SQL_STR)
			return rerr(c, "%s: a string is required.", name);
		v->type = BH_SQL_DATE;
		if (parse_local(c, a.s, n->nargs == 2 ? f.s : NULL, &v->t))
			return date_err(c, a.s, n->nargs == 2 ? f.s : NULL);
		return 0;
	}
	if (strcmp(name, "TO_CHAR") == 0) {
		char buf[128];
		v->type = BH_SQL_STR;
		if (a.type == BH_SQL_DATE) {
			if (bh_sim_sql_format_date(a.t + tz_off(c, a.t), n->nargs == 2 ? f.s : NULL,
						   buf, sizeof(buf)))
				return rerr(c, "TO_CHAR: invalid date format '%s'.", f.s);
			v->s = arena_strndup(&c->arena, buf, strlen(buf));
			return v->s ? 0 : oom(c);
		}
		return to_text(c, &a, &v->s);
	}
	if (strcmp(name, "TO_NUMBER") == 0) {
		const char *s;
		if (to_text(c, &a, &s))
			return c->rc;
		if (!bh_sim_sql_is_dec(s))
			return rerr(c, "Invalid number: '%s' cannot be converted to a number.", s);
		v->type = BH_SQL_NUM;
		v->s = s;
		return 0;
	}
	if (strcmp(name, "UPPER") == 0 || strcmp(name, "LOWER") == 0) {
		const char *s;
		char *o;
		bool up = name[0] == 'U';
		if (to_text(c, &a, &s))
			return c->rc;
		o = arena_strndup(&c->arena, s, strlen(s));
		if (!o)
			return oom(c);
		for (char *p = o; *p; p++)
			*p = (char)(up ? toupper((unsigned char)*p) : tolower((unsigned char)*p));
		v->type = BH_SQL_STR;
		v->s = o;
		return 0;
	}
	if (strcmp(name, "ABS") == 0) {
		if (a.type != BH_SQL_NUM && !(a.type == BH_SQL_STR && bh_sim_sql_is_dec(a.s)))
			return rerr(c, "ABS: a number is required.");
		v->type = BH_SQL_NUM;
		v->s = dec_canon(&c->arena, a.s, false);
		if (!v->s)
			return oom(c);
		if (v->s[0] == '-')
			v->s++;
		return 0;
	}
	if (strcmp(name, "TRUNC") == 0) {
		if (a.type != BH_SQL_DATE)
			return rerr(c, "TRUNC: only dates are supported by the simulator.");
		int64_t local = a.t + tz_off(c, a.t);
		v->type = BH_SQL_DATE;
		v->t = local_to_utc(c, local - (((local % 86400) + 86400) % 86400));
		return 0;
	}
	return rerr(c, "Invalid or unsupported search: unknown function %s.", name);
}

static int eval(struct bh_sim_sql_ctx *c, const struct node *n, struct bh_sim_sql_val *v)
{
	memset(v, 0, sizeof(*v));
	if (c->rc)
		return c->rc;
	switch (n->kind) {
	case N_LIT:
		*v = n->val;
		return 0;
	case N_PARAM:
		*v = c->params[n->idx];
		return 0;
	case N_SYSDATE:
		v->type = BH_SQL_DATE;
		v->t = c->run->now;
		return 0;
	case N_COL: {
		int s = c->slot[n->idx];
		void *row = c->cur[s];
		if (!row)
			return 0;
		if (c->tabs[s]->column(c->run->src, row, c->colname[n->idx], false, c, v))
			return oom(c);
		return 0;
	}
	case N_FUNC:
		return eval_func(c, n, v);
	case N_NEG: {
		struct bh_sim_sql_val a;
		if (eval(c, n->args[0], &a))
			return c->rc;
		if (a.type == BH_SQL_NULL)
			return 0;
		if (a.type == BH_SQL_DATE || !bh_sim_sql_is_dec(a.s))
			return rerr(c, "Invalid number: unary minus needs a number.");
		v->type = BH_SQL_NUM;
		v->s = dec_canon(&c->arena, a.s, true);
		return v->s ? 0 : oom(c);
	}
	case N_CONCAT: {
		struct bh_sim_sql_val a, b;
		const char *x, *y;
		if (eval(c, n->args[0], &a) || eval(c, n->args[1], &b) || to_text(c, &a, &x) ||
		    to_text(c, &b, &y))
			return c->rc;
		x = x ? x : "";
		y = y ? y : "";
		v->type = BH_SQL_STR;
		v->s = bh_sim_sql_printf(c, "%s%s", x, y);
		return v->s ? 0 : oom(c);
	}
	default:
		return rerr(c, "Invalid or unsupported search: a condition is used as a value.");
	}
}

/* ---- row production ---- */

static int add_result(struct bh_sim_sql_ctx *c)
{
	const struct bh_sim_sql *q = c->q;
	struct result_row *r;
	size_t o = 0;

	if (q->where) {
		int t = cond(c, q->where);
		if (c->rc)
			return c->rc;
		if (t != 1)
			return 0;
	}
	r = arena_alloc(&c->arena, sizeof(*r));
	if (!r)
		return oom(c);
	r->vals = arena_alloc(&c->arena, (c->nout ? c->nout : 1) * sizeof(*r->vals));
	r->keys = arena_alloc(&c->arena, (q->norder ? q->norder : 1) * sizeof(*r->keys));
	if (!r->vals || !r->keys)
		return oom(c);
	for (size_t i = 0; i < q->nsel; i++) {
		const struct sel_item *it = &q->sel[i];
		if (!it->e) {
			for (size_t f = 0; f < q->nfrom; f++) {
				const struct bh_sim_sql_table *t = c->tabs[f];
				if (it->star_qual ? strcmp(q->from[f].alias, it->star_qual) != 0
						  : false)
					continue;
				for (size_t k = 0; t->columns[k]; k++) {
					struct bh_sim_sql_val v = { 0 };
					if (c->cur[f] &&
					    t->column(c->run->src, c->cur[f], t->columns[k], false, c, &v))
						return oom(c);
					if (to_text(c, &v, &r->vals[o++]))
						return c->rc;
				}
			}
			continue;
		}
		struct bh_sim_sql_val v;
		if (eval(c, it->e, &v) || to_text(c, &v, &r->vals[o++]))
			return c->rc;
	}
	for (size_t i = 0; i < q->norder; i++) {
		const struct order_item *oi = &q->order[i];
		if (oi->sel_ref >= 0 && q->sel[oi->sel_ref].e) {
			if (eval(c, q->sel[oi->sel_ref].e, &r->keys[i]))
				return c->rc;
		} else if (eval(c, oi->e, &r->keys[i])) {
			return c->rc;
		}
	}
	if (c->nrows == c->caprows) {
		size_t nc = c->caprows ? c->caprows * 2 : 64;
		struct result_row **nr = realloc(c->rows, nc * sizeof(*nr));
		if (!nr)
			return oom(c);
		c->rows = nr;
		c->caprows = nc;
	}
	r->seq = c->nrows;
	c->rows[c->nrows++] = r;
	if (c->nrows > 100000)
		return rerr(c, "The query returned more than 100000 results; SuiteQL through REST "
			    "returns at most 100000.");
	return 0;
}

static int join_level(struct bh_sim_sql_ctx *c, size_t k);

struct scan_arg {
	struct bh_sim_sql_ctx *c;
	size_t k;
	bool matched;
};

static int scan_cb(void *row, void *arg)
{
	struct scan_arg *sa = arg;
	struct bh_sim_sql_ctx *c = sa->c;
	const struct from_item *f = &c->q->from[sa->k];

	c->cur[sa->k] = row;
	if (f->on) {
		int t = cond(c, f->on);
		if (c->rc)
			return c->rc;
		if (t != 1)
			return 0;
	}
	sa->matched = true;
	return join_level(c, sa->k + 1);
}

/* Whether every column under n is bound to a FROM item < k. */
static bool only_before(const struct bh_sim_sql_ctx *c, const struct node *n, size_t k)
{
	if (n->kind == N_COL)
		return (size_t)c->slot[n->idx] < k;
	if (n->kind == N_FUNC && strcmp(n->name, "BUILTIN.DF") == 0)
		return false;
	for (size_t i = 0; i < n->nargs; i++)
		if (!only_before(c, n->args[i], k))
			return false;
	return true;
}

/* Try an index lookup for FROM item k through an equality conjunct of cnd. Returns
 * BH_ENOTSUP when no conjunct qualifies. */
static int try_lookup(struct bh_sim_sql_ctx *c, size_t k, const struct node *cnd,
		      struct scan_arg *sa)
{
	const struct bh_sim_sql_table *t = c->tabs[k];
	if (!cnd || !t->lookup)
		return BH_ENOTSUP;
	if (cnd->kind == N_AND) {
		int rc = try_lookup(c, k, cnd->args[0], sa);
		return rc == BH_ENOTSUP ? try_lookup(c, k, cnd->args[1], sa) : rc;
	}
	if (cnd->kind != N_CMP || cnd->op != OP_EQ)
		return BH_ENOTSUP;
	for (int side = 0; side < 2; side++) {
		const struct node *col = cnd->args[side], *other = cnd->args[!side];
		struct bh_sim_sql_val v;
		int rc;
		if (col->kind != N_COL || (size_t)c->slot[col->idx] != k || !only_before(c, other, k))
			continue;
		if (eval(c, other, &v))
			return c->rc;
		if (v.type == BH_SQL_NULL)
			return 0;       /* col = NULL matches nothing */
		rc = t->lookup(c->run->src, c->colname[col->idx], &v, scan_cb, sa);
		if (rc != BH_ENOTSUP)
			return c->rc ? c->rc : rc;
	}
	return BH_ENOTSUP;
}

static int join_level(struct bh_sim_sql_ctx *c, size_t k)
{
	const struct bh_sim_sql *q = c->q;
	struct scan_arg sa = { .c = c, .k = k };
	int rc;

	if (k == q->nfrom)
		return add_result(c);
	rc = try_lookup(c, k, k == 0 ? q->where : q->from[k].on, &sa);
	if (rc == BH_ENOTSUP)
		rc = c->tabs[k]->scan(c->run->src, scan_cb, &sa);
	if (c->rc)
		return c->rc;
	if (rc)
		return oom(c);
	if (!sa.matched && q->from[k].join == 2) {
		c->cur[k] = NULL;
		rc = join_level(c, k + 1);
	}
	c->cur[k] = NULL;
	return rc;
}

/* ---- sorting ---- */

static int type_rank(enum bh_sim_sql_type t)
{
	return t == BH_SQL_NUM ? 0 : t == BH_SQL_DATE ? 1 : 2;
}

static int sort_cmp(const void *pa, const void *pb, void *arg)
{
	const struct bh_sim_sql_ctx *c = arg;
	const struct result_row *a = *(struct result_row *const *)pa;
	const struct result_row *b = *(struct result_row *const *)pb;

	for (size_t i = 0; i < c->q->norder; i++) {
		const struct order_item *o = &c->q->order[i];
		const struct bh_sim_sql_val *x = &a->keys[i], *y = &b->keys[i];
		bool nulls_first = o->nulls ? o->nulls == 1 : o->desc;
		int r = 0;
		if (x->type == BH_SQL_NULL || y->type == BH_SQL_NULL) {
			if (x->type == y->type)
				continue;
			r = x->type == BH_SQL_NULL ? 1 : -1;
			return nulls_first ? -r : r;
		}
		if (x->type == BH_SQL_DATE && y->type == BH_SQL_DATE)
			r = x->t < y->t ? -1 : x->t > y->t;
		else if (x->type == BH_SQL_NUM && y->type == BH_SQL_NUM)
			r = bh_sim_sql_dec_cmp(x->s, y->s);
		else if (x->type == BH_SQL_STR && y->type == BH_SQL_STR)
			r = strcmp(x->s, y->s);
		else
			r = type_rank(x->type) - type_rank(y->type);
		if (r)
			return o->desc ? -r : r;
	}
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static bool rows_equal(const struct bh_sim_sql_ctx *c, const struct result_row *a,
		       const struct result_row *b)
{
	for (size_t i = 0; i < c->nout; i++) {
		const char *x = a->vals[i], *y = b->vals[i];
		if ((x == NULL) != (y == NULL) || (x && strcmp(x, y) != 0))
			return false;
	}
	return true;
}

static uint64_t row_hash(const struct bh_sim_sql_ctx *c, const struct result_row *r)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < c->nout; i++) {
		const char *s = r->vals[i];
		if (s)
			for (; *s; s++)
				h = (h ^ (unsigned char)*s) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL;
	}
	return h;
}

static int distinct_rows(struct bh_sim_sql_ctx *c)
{
	size_t nb = 64, out = 0;
	while (nb < c->nrows * 2)
		nb *= 2;
	struct result_row **tab = calloc(nb, sizeof(*tab));
	if (!tab)
		return oom(c);
	for (size_t i = 0; i < c->nrows; i++) {
		struct result_row *r = c->rows[i];
		size_t b = row_hash(c, r) & (nb - 1);
		bool dup = false;
		while (tab[b]) {
			if (rows_equal(c, tab[b], r)) {
				dup = true;
				break;
			}
			b = (b + 1) & (nb - 1);
		}
		if (!dup) {
			tab[b] = r;
			c->rows[out++] = r;
		}
	}
	free(tab);
	c->nrows = out;
	return 0;
}

int bh_sim_sql_execute(const struct bh_sim_sql *q, const struct bh_sim_sql_run *run,
		       struct json_object **items, int64_t *total, char *err, size_t errlen)
{
	struct bh_sim_sql_ctx c = { .q = q, .run = run, .err = err, .errlen = errlen };
	struct json_object *arr = NULL;
	int rc = 0;

	*items = NULL;
	*total = 0;
	if (errlen)
		err[0] = '\0';
	c.tabs = arena_alloc(&c.arena, q->nfrom * sizeof(*c.tabs));
	c.cur = arena_alloc(&c.arena, q->nfrom * sizeof(*c.cur));
	c.slot = arena_alloc(&c.arena, (q->ncols ? (size_t)q->ncols : 1) * sizeof(*c.slot));
	c.colname = arena_alloc(&c.arena, (q->ncols ? (size_t)q->ncols : 1) * sizeof(*c.colname));
	c.params = arena_alloc(&c.arena, (q->nparams ? (size_t)q->nparams : 1) * sizeof(*c.params));
	if (!c.tabs || !c.cur || !c.slot || !c.colname || !c.params) {
		rc = oom(&c);
		goto out;
	}
	memset(c.cur, 0, q->nfrom * sizeof(*c.cur));

	/* tables, then column binding in scope order (ON sees only earlier tables) */
	for (size_t i = 0; i < q->nfrom; i++) {
		c.tabs[i] = find_table(run, q->from[i].table);
		if (!c.tabs[i]) {
			rc = rerr(&c, "Invalid search type: %s.", q->from[i].table);
			goto out;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(q->from[j].alias, q->from[i].alias) == 0) {
				rc = rerr(&c, "Invalid or unsupported search: alias '%s' is used "
					  "twice.", q->from[i].alias);
				goto out;
			}
	}
	for (size_t i = 0; i < q->nfrom; i++)
		if ((rc = bind_node(&c, q->from[i].on, i + 1)))
			goto out;
	if ((rc = bind_node(&c, q->where, q->nfrom)))
		goto out;
	for (size_t i = 0; i < q->nsel; i++) {
		if (q->sel[i].e) {
			if ((rc = bind_node(&c, q->sel[i].e, q->nfrom)))
				goto out;
			c.nout++;
		} else {
			bool any = false;
			for (size_t f = 0; f < q->nfrom; f++) {
				if (q->sel[i].star_qual && strcmp(q->from[f].alias, q->sel[i].star_qual))
					continue;
				any = true;
				for (size_t k = 0; c.tabs[f]->columns[k]; k++)
					c.nout++;
			}
			if (!any) {
				rc = unknown_ident(&c, q->sel[i].star_qual);
				goto out;
			}
		}
	}
	for (size_t i = 0; i < q->norder; i++)
		if (q->order[i].sel_ref < 0 && (rc = bind_node(&c, q->order[i].e, q->nfrom)))
			goto out;
	c.outkeys = arena_alloc(&c.arena, (c.nout ? c.nout : 1) * sizeof(*c.outkeys));
	if (!c.outkeys) {
		rc = oom(&c);
		goto out;
	}
	{
		size_t o = 0;
		for (size_t i = 0; i < q->nsel; i++) {
			if (q->sel[i].e) {
				c.outkeys[o++] = q->sel[i].key;
				continue;
			}
			for (size_t f = 0; f < q->nfrom; f++) {
				if (q->sel[i].star_qual && strcmp(q->from[f].alias, q->sel[i].star_qual))
					continue;
				for (size_t k = 0; c.tabs[f]->columns[k]; k++)
					c.outkeys[o++] = c.tabs[f]->columns[k];
			}
		}
	}

	/* parameters */
	{
		size_t np = run->params && json_object_is_type(run->params, json_type_array)
				    ? json_object_array_length(run->params)
				    : 0;
		if (np < (size_t)q->nparams) {
			rc = rerr(&c, "Missing value for bind parameter %zu: the query has %d '?' "
				  "and params has %zu values.", np + 1, q->nparams, np);
			goto out;
		}
		for (int i = 0; i < q->nparams; i++) {
			struct json_object *pv = json_object_array_get_idx(run->params, (size_t)i);
			struct bh_sim_sql_val *v = &c.params[i];
			memset(v, 0, sizeof(*v));
			switch (json_object_get_type(pv)) {
			case json_type_null:
				break;
			case json_type_int:
			case json_type_double:
				v->type = BH_SQL_NUM;
				v->s = arena_strndup(&c.arena, json_object_get_string(pv),
						     strlen(json_object_get_string(pv)));
				break;
			case json_type_boolean:
				v->type = BH_SQL_STR;
				v->s = json_object_get_boolean(pv) ? "T" : "F";
				break;
			case json_type_string:
				v->type = BH_SQL_STR;
				v->s = arena_strndup(&c.arena, json_object_get_string(pv),
						     (size_t)json_object_get_string_len(pv));
				break;
			default:
				rc = rerr(&c, "Bind parameter %d must be a string or a number.", i + 1);
				goto out;
			}
			if (v->type != BH_SQL_NULL && !v->s) {
				rc = oom(&c);
				goto out;
			}
		}
	}

	if ((rc = join_level(&c, 0)))
		goto out;
	if (q->distinct && (rc = distinct_rows(&c)))
		goto out;
	if (q->norder && c.nrows > 1)
		qsort_r(c.rows, c.nrows, sizeof(*c.rows), sort_cmp, &c);

	arr = json_object_new_array();
	if (!arr) {
		rc = oom(&c);
		goto out;
	}
	for (int64_t i = run->offset; i < (int64_t)c.nrows && i < run->offset + run->limit; i++) {
		const struct result_row *r = c.rows[i];
		struct json_object *o = json_object_new_object();
		if (!o) {
			rc = oom(&c);
			goto out;
		}
		json_object_array_add(arr, o);
		json_object_object_add(o, "links", json_object_new_array());
		for (size_t k = 0; k < c.nout; k++)
			if (r->vals[k])
				json_object_object_add(o, c.outkeys[k],
						       json_object_new_string(r->vals[k]));
	}
	*total = (int64_t)c.nrows;
	*items = arr;
	arr = NULL;
out:
	json_object_put(arr);
	free(c.rows);
	arena_free(&c.arena);
	return rc ? rc : c.rc;
}
