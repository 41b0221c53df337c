/*
 * sim_graphql.c - GraphQL lexer and recursive-descent parser (see sim_graphql.h).
 *
 * Ownership: all nodes are arena allocations. Threading: none shared.
 * Limits: nesting deeper than 128 levels is refused as a parse error (stack safety).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_graphql.h"

/* ------------------------------------------------------------------ arena */

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

struct bh_gql_arena {
	struct arena_chunk *head;
};

struct bh_gql_arena *bh_gql_arena_new(void)
{
	return calloc(1, sizeof(struct bh_gql_arena));
}

void bh_gql_arena_free(struct bh_gql_arena *a)
{
	if (!a)
		return;
	while (a->head) {
		struct arena_chunk *n = a->head->next;
		free(a->head);
		a->head = n;
	}
	free(a);
}

void *bh_gql_alloc(struct bh_gql_arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	size_t al = sizeof(max_align_t);
	void *p;
	n = (n + al - 1) / al * al;
	if (!n)
		n = al;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > 16384 ? n : 16384;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *bh_gql_strndup(struct bh_gql_arena *a, const char *s, size_t n)
{
	char *p = bh_gql_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

/* ------------------------------------------------------------------ lexer */

enum tk {
	T_EOF, T_BANG, T_DOLLAR, T_AMP, T_LPAREN, T_RPAREN, T_SPREAD, T_COLON, T_EQUALS, T_AT,
	T_LBRACKET, T_RBRACKET, T_LBRACE, T_PIPE, T_RBRACE, T_NAME, T_INT, T_FLOAT, T_STRING,
};

struct tok {
	enum tk k;
	const char *p;
	size_t len;
	int line, col;
	char *sval;  /* decoded string */
};

struct parser {
	struct bh_gql_arena *a;
	const char *s;
	size_t len, pos;
	int line;
	size_t line_start;
	struct tok t;
	char *err;
	size_t errlen;
	int eline, ecol;
	bool failed;
	int depth;
};

static const char *tok_name(const struct tok *t)
{
	static const char *const names[] = {
		"EOF", "BANG", "VAR_SIGN", "AMP", "LPAREN", "RPAREN", "ELLIPSIS", "COLON", "EQUALS",
		"DIR_SIGN", "LBRACKET", "RBRACKET", "LCURLY", "PIPE", "RCURLY", "IDENTIFIER", "INT",
		"FLOAT", "STRING"};
	if (t->k == T_NAME) {
		static const char *const kw[][2] = {
			{"query", "QUERY"}, {"mutation", "MUTATION"}, {"subscription", "SUBSCRIPTION"},
			{"fragment", "FRAGMENT"}, {"on", "ON"}, {"true", "TRUE"}, {"false", "FALSE"},
			{"null", "NULL"}};
		for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
			if (strlen(kw[i][0]) == t->len && memcmp(kw[i][0], t->p, t->len) == 0)
				return kw[i][1];
	}
	return names[t->k];
}

static void fail_at(struct parser *P, const struct tok *t)
{
	if (P->failed)
		return;
	P->failed = true;
	if (t->k == T_EOF) {
		snprintf(P->err, P->errlen, "Unexpected end of document");
		P->eline = P->ecol = 0;
		return;
	}
	snprintf(P->err, P->errlen, "Parse error on \"%.*s\" (%s) at [%d, %d]",
		 (int)(t->len > 60 ? 60 : t->len), t->p, tok_name(t), t->line, t->col);
	P->eline = t->line;
	P->ecol = t->col;
}

static void fail_msg(struct parser *P, int line, int col, const char *msg)
{
	if (P->failed)
		return;
	P->failed = true;
	snprintf(P->err, P->errlen, "%s at [%d, %d]", msg, line, col);
	P->eline = line;
	P->ecol = col;
}

static bool is_name_start(char c)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void newline(struct parser *P)
{
	P->line++;
	P->line_start = P->pos;
}

static void put_utf8(char **o, uint32_t cp)
{
	char *p = *o;
	if (cp < 0x80) {
		*p++ = (char)cp;
	} else if (cp < 0x800) {
		*p++ = (char)(0xC0 | (cp >> 6));
		*p++ = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		*p++ = (char)(0xE0 | (cp >> 12));
		*p++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*p++ = (char)(0x80 | (cp & 0x3F));
	} else {
		*p++ = (char)(0xF0 | (cp >> 18));
		*p++ = (char)(0x80 | ((cp >> 12) & 0x3F));
		*p++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*p++ = (char)(0x80 | (cp & 0x3F));
	}
	*o = p;
}

static int hex4(const char *s, uint32_t *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* Block string value per the spec: common indentation removed, blank edges trimmed. */
static char *block_value(struct parser *P, const char *raw, size_t n)
{
	char *tmp = bh_gql_alloc(P->a, n + 1), *out;
	size_t tn = 0, common = SIZE_MAX, nlines = 0, maxl = 1;
	const char **ls;
	size_t *ll;
	size_t first = 0, last;
	for (size_t i = 0; i < n; i++)
		maxl += raw[i] == '\n' || raw[i] == '\r';
	ls = bh_gql_alloc(P->a, maxl * sizeof(*ls));
	ll = bh_gql_alloc(P->a, maxl * sizeof(*ll));
	if (!tmp || !ls || !ll)
		return NULL;
	/* unescape \""" first */
	for (size_t i = 0; i < n; i++) {
		if (raw[i] == '\\' && i + 3 < n && strncmp(raw + i + 1, "\"\"\"", 3) == 0) {
			memcpy(tmp + tn, "\"\"\"", 3);
			tn += 3;
			i += 3;
			continue;
		}
		tmp[tn++] = raw[i];
	}
	tmp[tn] = 0;
	/* split lines */
	for (size_t i = 0, st = 0; i <= tn && nlines < maxl; i++) {
		if (i == tn || tmp[i] == '\n' || tmp[i] == '\r') {
			ls[nlines] = tmp + st;
			ll[nlines++] = i - st;
			if (i < tn && tmp[i] == '\r' && i + 1 < tn && tmp[i + 1] == '\n')
				i++;
			st = i + 1;
		}
	}
	for (size_t i = 1; i < nlines; i++) {
		size_t ind = 0;
		while (ind < ll[i] && (ls[i][ind] == ' ' || ls[i][ind] == '\t'))
			ind++;
		if (ind < ll[i] && ind < common)
			common = ind;
	}
	if (common != SIZE_MAX)
		for (size_t i = 1; i < nlines; i++) {
			size_t c = common < ll[i] ? common : ll[i];
			ls[i] += c;
			ll[i] -= c;
		}
	last = nlines;
	while (first < last) {
		size_t k = 0;
		while (k < ll[first] && (ls[first][k] == ' ' || ls[first][k] == '\t'))
			k++;
		if (k < ll[first])
			break;
		first++;
	}
	while (last > first) {
		size_t k = 0;
		while (k < ll[last - 1] && (ls[last - 1][k] == ' ' || ls[last - 1][k] == '\t'))
			k++;
		if (k < ll[last - 1])
			break;
		last--;
	}
	out = bh_gql_alloc(P->a, tn + 1);
	if (!out)
		return NULL;
	tn = 0;
	for (size_t i = first; i < last; i++) {
		if (i > first)
			out[tn++] = '\n';
		memcpy(out + tn, ls[i], ll[i]);
		tn += ll[i];
	}
	out[tn] = 0;
	return out;
}

static void lex(struct parser *P)
{
	struct tok *t = &P->t;
	const char *s = P->s;
	memset(t, 0, sizeof(*t));
	for (;;) {
		if (P->pos >= P->len)
			break;
		char c = s[P->pos];
		if (c == ' ' || c == '\t' || c == ',') {
			P->pos++;
		} else if (c == '\n') {
			P->pos++;
			newline(P);
		} else if (c == '\r') {
			P->pos++;
			if (P->pos < P->len && s[P->pos] == '\n')
				P->pos++;
			newline(P);
		} else if ((unsigned char)c == 0xEF && P->pos + 2 < P->len &&
			   (unsigned char)s[P->pos + 1] == 0xBB && (unsigned char)s[P->pos + 2] == 0xBF) {
			P->pos += 3;
		} else if (c == '#') {
			while (P->pos < P->len && s[P->pos] != '\n' && s[P->pos] != '\r')
				P->pos++;
		} else {
			break;
		}
	}
	t->line = P->line;
	t->col = (int)(P->pos - P->line_start) + 1;
	t->p = s + P->pos;
	if (P->pos >= P->len) {
		t->k = T_EOF;
		return;
	}
	char c = s[P->pos];
	switch (c) {
	case '!': t->k = T_BANG; break;
	case '$': t->k = T_DOLLAR; break;
	case '&': t->k = T_AMP; break;
	case '(': t->k = T_LPAREN; break;
	case ')': t->k = T_RPAREN; break;
	case ':': t->k = T_COLON; break;
	case '=': t->k = T_EQUALS; break;
	case '@': t->k = T_AT; break;
	case '[': t->k = T_LBRACKET; break;
	case ']': t->k = T_RBRACKET; break;
	case '{': t->k = T_LBRACE; break;
	case '|': t->k = T_PIPE; break;
	case '}': t->k = T_RBRACE; break;
	default: t->k = T_EOF; break;
	}
	if (t->k != T_EOF) {
		t->len = 1;
		P->pos++;
		return;
	}
	if (c == '.') {
		if (P->pos + 2 < P->len && s[P->pos + 1] == '.' && s[P->pos + 2] == '.') {
			t->k = T_SPREAD;
			t->len = 3;
			P->pos += 3;
			return;
		}
		t->len = 1;
		t->k = T_NAME;
		fail_msg(P, t->line, t->col, "Parse error on \".\" (error)");
		return;
	}
	if (is_name_start(c)) {
		size_t st = P->pos;
		while (P->pos < P->len && is_name_char(s[P->pos]))
			P->pos++;
		t->k = T_NAME;
		t->len = P->pos - st;
		return;
	}
	if (c == '-' || is_digit(c)) {
		size_t st = P->pos;
		bool fl = false;
		if (c == '-')
			P->pos++;
		if (P->pos >= P->len || !is_digit(s[P->pos]))
			goto badnum;
		if (s[P->pos] == '0' && P->pos + 1 < P->len && is_digit(s[P->pos + 1]))
			goto badnum;
		while (P->pos < P->len && is_digit(s[P->pos]))
			P->pos++;
		if (P->pos < P->len && s[P->pos] == '.') {
			fl = true;
			P->pos++;
			if (P->pos >= P->len || !is_digit(s[P->pos]))
				goto badnum;
			while (P->pos < P->len && is_digit(s[P->pos]))
				P->pos++;
		}
		if (P->pos < P->len && (s[P->pos] == 'e' || s[P->pos] == 'E')) {
			fl = true;
			P->pos++;
			if (P->pos < P->len && (s[P->pos] == '+' || s[P->pos] == '-'))
				P->pos++;
			if (P->pos >= P->len || !is_digit(s[P->pos]))
				goto badnum;
			while (P->pos < P->len && is_digit(s[P->pos]))
				P->pos++;
		}
		if (P->pos < P->len && (is_name_start(s[P->pos]) || s[P->pos] == '.'))
			goto badnum;
		t->k = fl ? T_FLOAT : T_INT;
		t->len = P->pos - st;
		return;
badnum:
		t->k = T_INT;
		t->len = P->pos - st + (P->pos < P->len ? 1 : 0);
		fail_at(P, t);
		return;
	}
	if (c == '"') {
		size_t st = P->pos;
		if (P->pos + 2 < P->len && s[P->pos + 1] == '"' && s[P->pos + 2] == '"') {
			size_t body;
			P->pos += 3;
			body = P->pos;
			for (;;) {
				if (P->pos + 2 >= P->len) {
					t->k = T_STRING;
					t->len = P->len - st;
					fail_msg(P, t->line, t->col, "Parse error on unterminated string");
					return;
				}
				if (s[P->pos] == '\\' && strncmp(s + P->pos + 1, "\"\"\"", 3) == 0) {
					P->pos += 4;
					continue;
				}
				if (s[P->pos] == '"' && s[P->pos + 1] == '"' && s[P->pos + 2] == '"')
					break;
				if (s[P->pos] == '\n') {
					P->pos++;
					newline(P);
					continue;
				}
				P->pos++;
			}
			t->k = T_STRING;
			t->sval = block_value(P, s + body, P->pos - body);
			P->pos += 3;
			t->len = P->pos - st;
			return;
		}
		char *out = bh_gql_alloc(P->a, P->len - P->pos + 1), *o = out;
		P->pos++;
		t->k = T_STRING;
		for (;;) {
			if (P->pos >= P->len || s[P->pos] == '\n' || s[P->pos] == '\r') {
				t->len = P->pos - st;
				fail_msg(P, t->line, t->col, "Parse error on unterminated string");
				return;
			}
			char ch = s[P->pos];
			if (ch == '"') {
				P->pos++;
				break;
			}
			if (ch == '\\') {
				char e = P->pos + 1 < P->len ? s[P->pos + 1] : 0;
				P->pos += 2;
				switch (e) {
				case '"': *o++ = '"'; break;
				case '\\': *o++ = '\\'; break;
				case '/': *o++ = '/'; break;
				case 'b': *o++ = '\b'; break;
				case 'f': *o++ = '\f'; break;
				case 'n': *o++ = '\n'; break;
				case 'r': *o++ = '\r'; break;
				case 't': *o++ = '\t'; break;
				case 'u': {
					uint32_t cp, lo;
					if (P->pos + 4 > P->len || hex4(s + P->pos, &cp)) {
						t->len = P->pos - st;
						fail_msg(P, t->line, t->col,
							 "Parse error on bad Unicode escape sequence");
						return;
					}
					P->pos += 4;
					if (cp >= 0xD800 && cp <= 0xDBFF && P->pos + 6 <= P->len &&
					    s[P->pos] == '\\' && s[P->pos + 1] == 'u' &&
					    !hex4(s + P->pos + 2, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
						cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
						P->pos += 6;
					}
					put_utf8(&o, cp);
					break;
				}
				default:
					t->len = P->pos - st;
					fail_msg(P, t->line, t->col, "Parse error on bad escape sequence");
					return;
				}
				continue;
			}
			*o++ = ch;
			P->pos++;
		}
		*o = 0;
		t->sval = out;
		t->len = P->pos - st;
		return;
	}
	t->k = T_NAME;
	t->len = 1;
	if (!P->failed) {
		char m[64];
		snprintf(m, sizeof(m), "Parse error on \"%c\" (error)", c);
		fail_msg(P, t->line, t->col, m);
	}
	P->pos++;
}

/* ------------------------------------------------------------------ parser */

static bool is_kw(const struct tok *t, const char *kw)
{
	return t->k == T_NAME && strlen(kw) == t->len && memcmp(t->p, kw, t->len) == 0;
}

static const char *tok_str(struct parser *P)
{
	return bh_gql_strndup(P->a, P->t.p, P->t.len);
}

static bool expect(struct parser *P, enum tk k)
{
	if (P->failed)
		return false;
	if (P->t.k != k) {
		fail_at(P, &P->t);
		return false;
	}
	lex(P);
	return !P->failed;
}

static bool enter(struct parser *P)
{
	if (++P->depth > 128) {
		fail_msg(P, P->t.line, P->t.col, "Query too deeply nested");
		return false;
	}
	return true;
}

/* grow an arena array: returns the new base (old contents copied) */
static void *grow(struct parser *P, void *base, size_t n, size_t *cap, size_t elem)
{
	void *nb;
	if (n < *cap)
		return base;
	*cap = *cap ? *cap * 2 : 4;
	nb = bh_gql_alloc(P->a, *cap * elem);
	if (!nb) {
		fail_msg(P, P->t.line, P->t.col, "Out of memory");
		return NULL;
	}
	if (base)
		memcpy(nb, base, n * elem);
	return nb;
}

static struct bh_gql_value *parse_value(struct parser *P, bool is_const);

static struct bh_gql_value *new_value(struct parser *P, enum bh_gql_vkind k)
{
	struct bh_gql_value *v = bh_gql_alloc(P->a, sizeof(*v));
	if (!v) {
		fail_msg(P, P->t.line, P->t.col, "Out of memory");
		return NULL;
	}
	v->kind = k;
	v->line = P->t.line;
	v->col = P->t.col;
	return v;
}

static struct bh_gql_value *parse_value(struct parser *P, bool is_const)
{
	struct bh_gql_value *v = NULL;
	if (P->failed || !enter(P))
		return NULL;
	switch (P->t.k) {
	case T_DOLLAR:
		if (is_const) {
			fail_at(P, &P->t);
			break;
		}
		v = new_value(P, BH_GQL_V_VAR);
		lex(P);
		if (!v || P->t.k != T_NAME) {
			fail_at(P, &P->t);
			break;
		}
		v->text = tok_str(P);
		lex(P);
		break;
	case T_INT:
	case T_FLOAT:
		v = new_value(P, P->t.k == T_INT ? BH_GQL_V_INT : BH_GQL_V_FLOAT);
		if (v)
			v->text = tok_str(P);
		lex(P);
		break;
	case T_STRING:
		v = new_value(P, BH_GQL_V_STRING);
		if (v)
			v->text = P->t.sval;
		lex(P);
		break;
	case T_NAME:
		if (is_kw(&P->t, "true") || is_kw(&P->t, "false")) {
			v = new_value(P, BH_GQL_V_BOOL);
			if (v)
				v->b = is_kw(&P->t, "true");
		} else if (is_kw(&P->t, "null")) {
			v = new_value(P, BH_GQL_V_NULL);
		} else {
			v = new_value(P, BH_GQL_V_ENUM);
			if (v)
				v->text = tok_str(P);
		}
		lex(P);
		break;
	case T_LBRACKET: {
		size_t cap = 0;
		v = new_value(P, BH_GQL_V_LIST);
		lex(P);
		while (v && !P->failed && P->t.k != T_RBRACKET) {
			struct bh_gql_value *it;
			if (P->t.k == T_EOF) {
				fail_at(P, &P->t);
				break;
			}
			it = parse_value(P, is_const);
			v->items = grow(P, v->items, v->n, &cap, sizeof(*v->items));
			if (!it || !v->items)
				break;
			v->items[v->n++] = it;
		}
		expect(P, T_RBRACKET);
		break;
	}
	case T_LBRACE: {
		size_t cap = 0, kcap = 0;
		v = new_value(P, BH_GQL_V_OBJECT);
		lex(P);
		while (v && !P->failed && P->t.k != T_RBRACE) {
			const char *k;
			struct bh_gql_value *it;
			if (P->t.k != T_NAME) {
				fail_at(P, &P->t);
				break;
			}
			k = tok_str(P);
			lex(P);
			if (!expect(P, T_COLON))
				break;
			it = parse_value(P, is_const);
			v->items = grow(P, v->items, v->n, &cap, sizeof(*v->items));
			v->keys = grow(P, v->keys, v->n, &kcap, sizeof(*v->keys));
			if (!it || !v->items || !v->keys)
				break;
			v->keys[v->n] = k;
			v->items[v->n++] = it;
		}
		expect(P, T_RBRACE);
		break;
	}
	default:
		fail_at(P, &P->t);
		break;
	}
	P->depth--;
	return P->failed ? NULL : v;
}

static void parse_args(struct parser *P, struct bh_gql_arg **out, size_t *n, bool is_const)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	if (P->t.k != T_LPAREN)
		return;
	lex(P);
	if (P->t.k == T_RPAREN) {
		fail_at(P, &P->t);
		return;
	}
	while (!P->failed && P->t.k != T_RPAREN) {
		struct bh_gql_arg *a;
		if (P->t.k != T_NAME) {
			fail_at(P, &P->t);
			return;
		}
		*out = grow(P, *out, *n, &cap, sizeof(**out));
		if (!*out)
			return;
		a = &(*out)[(*n)++];
		a->name = tok_str(P);
		a->line = P->t.line;
		a->col = P->t.col;
		lex(P);
		if (!expect(P, T_COLON))
			return;
		a->value = parse_value(P, is_const);
	}
	expect(P, T_RPAREN);
}

static void parse_directives(struct parser *P, struct bh_gql_directive **out, size_t *n,
			     bool is_const)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	while (!P->failed && P->t.k == T_AT) {
		struct bh_gql_directive *d;
		lex(P);
		if (P->t.k != T_NAME) {
			fail_at(P, &P->t);
			return;
		}
		*out = grow(P, *out, *n, &cap, sizeof(**out));
		if (!*out)
			return;
		d = &(*out)[(*n)++];
		d->name = tok_str(P);
		d->line = P->t.line;
		d->col = P->t.col;
		lex(P);
		parse_args(P, &d->args, &d->nargs, is_const);
	}
}

static struct bh_gql_selset *parse_selset(struct parser *P);

static void parse_selection(struct parser *P, struct bh_gql_sel *s)
{
	s->line = P->t.line;
	s->col = P->t.col;
	if (P->t.k == T_SPREAD) {
		lex(P);
		if (P->t.k == T_NAME && !is_kw(&P->t, "on")) {
			s->kind = BH_GQL_SPREAD;
			s->name = tok_str(P);
			lex(P);
			parse_directives(P, &s->dirs, &s->ndirs, false);
			return;
		}
		s->kind = BH_GQL_INLINE;
		if (is_kw(&P->t, "on")) {
			lex(P);
			if (P->t.k != T_NAME) {
				fail_at(P, &P->t);
				return;
			}
			s->type_cond = tok_str(P);
			lex(P);
		}
		parse_directives(P, &s->dirs, &s->ndirs, false);
		if (P->t.k != T_LBRACE) {
			fail_at(P, &P->t);
			return;
		}
		s->sel = parse_selset(P);
		return;
	}
	if (P->t.k != T_NAME) {
		fail_at(P, &P->t);
		return;
	}
	s->kind = BH_GQL_FIELD;
	s->name = tok_str(P);
	lex(P);
	if (P->t.k == T_COLON) {
		lex(P);
		if (P->t.k != T_NAME) {
			fail_at(P, &P->t);
			return;
		}
		s->alias = s->name;
		s->name = tok_str(P);
		lex(P);
	}
	parse_args(P, &s->args, &s->nargs, false);
	parse_directives(P, &s->dirs, &s->ndirs, false);
	if (P->t.k == T_LBRACE)
		s->sel = parse_selset(P);
}

static struct bh_gql_selset *parse_selset(struct parser *P)
{
	struct bh_gql_selset *ss;
	size_t cap = 0;
	if (P->failed || !enter(P))
		return NULL;
	ss = bh_gql_alloc(P->a, sizeof(*ss));
	if (!ss) {
		fail_msg(P, P->t.line, P->t.col, "Out of memory");
		return NULL;
	}
	ss->line = P->t.line;
	ss->col = P->t.col;
	if (!expect(P, T_LBRACE))
		return NULL;
	if (P->t.k == T_RBRACE) {
		fail_at(P, &P->t);
		return NULL;
	}
	while (!P->failed && P->t.k != T_RBRACE) {
		if (P->t.k == T_EOF) {
			fail_at(P, &P->t);
			break;
		}
		ss->items = grow(P, ss->items, ss->n, &cap, sizeof(*ss->items));
		if (!ss->items)
			break;
		parse_selection(P, &ss->items[ss->n++]);
	}
	expect(P, T_RBRACE);
	P->depth--;
	return P->failed ? NULL : ss;
}

/* Type reference, printed into buf; sets base name and outer flags. */
static bool parse_type(struct parser *P, char *buf, size_t cap, size_t *used, const char **base,
		       bool *list)
{
	if (P->failed || !enter(P))
		return false;
	if (P->t.k == T_LBRACKET) {
		*list = true;
		if (*used + 1 < cap)
			buf[(*used)++] = '[';
		lex(P);
		bool inner_list = false;
		if (!parse_type(P, buf, cap, used, base, &inner_list))
			return false;
		if (P->t.k != T_RBRACKET) {
			fail_at(P, &P->t);
			return false;
		}
		if (*used + 1 < cap)
			buf[(*used)++] = ']';
		lex(P);
	} else if (P->t.k == T_NAME) {
		*base = tok_str(P);
		for (size_t i = 0; i < P->t.len && *used + 1 < cap; i++)
			buf[(*used)++] = P->t.p[i];
		lex(P);
	} else {
		fail_at(P, &P->t);
		return false;
	}
	if (P->t.k == T_BANG) {
		if (*used + 1 < cap)
			buf[(*used)++] = '!';
		lex(P);
	}
	buf[*used] = 0;
	P->depth--;
	return !P->failed;
}

static void parse_vardefs(struct parser *P, struct bh_gql_op *op)
{
	size_t cap = 0;
	if (P->t.k != T_LPAREN)
		return;
	lex(P);
	if (P->t.k == T_RPAREN) {
		fail_at(P, &P->t);
		return;
	}
	while (!P->failed && P->t.k != T_RPAREN) {
		struct bh_gql_vardef *v;
		char tb[256];
		size_t used = 0;
		bool list = false;
		struct bh_gql_directive *dirs;
		size_t nd;
		op->vars = grow(P, op->vars, op->nvars, &cap, sizeof(*op->vars));
		if (!op->vars)
			return;
		v = &op->vars[op->nvars++];
		v->line = P->t.line;
		v->col = P->t.col;
		if (!expect(P, T_DOLLAR))
			return;
		if (P->t.k != T_NAME) {
			fail_at(P, &P->t);
			return;
		}
		v->name = tok_str(P);
		lex(P);
		if (!expect(P, T_COLON))
			return;
		if (!parse_type(P, tb, sizeof(tb), &used, &v->base, &list))
			return;
		v->type = bh_gql_strndup(P->a, tb, used);
		v->nonnull = used > 0 && tb[used - 1] == '!';
		v->list = tb[0] == '[';
		if (P->t.k == T_EQUALS) {
			lex(P);
			v->def = parse_value(P, true);
		}
		parse_directives(P, &dirs, &nd, true);
	}
	expect(P, T_RPAREN);
}

int bh_gql_parse(struct bh_gql_arena *a, const char *src, size_t len, struct bh_gql_doc *doc,
		 char *err, size_t errlen, int *line, int *col)
{
	struct parser P;
	size_t opcap = 0, frcap = 0;
	memset(&P, 0, sizeof(P));
	memset(doc, 0, sizeof(*doc));
	P.a = a;
	P.s = src;
	P.len = len;
	P.line = 1;
	P.err = err;
	P.errlen = errlen;
	lex(&P);
	if (!P.failed && P.t.k == T_EOF)
		fail_at(&P, &P.t);
	while (!P.failed && P.t.k != T_EOF) {
		if (P.t.k == T_LBRACE) {
			struct bh_gql_op *op;
			doc->ops = grow(&P, doc->ops, doc->nops, &opcap, sizeof(*doc->ops));
			if (!doc->ops)
				break;
			op = &doc->ops[doc->nops++];
			op->kind = BH_GQL_QUERY;
			op->line = P.t.line;
			op->col = P.t.col;
			op->sel = parse_selset(&P);
		} else if (is_kw(&P.t, "query") || is_kw(&P.t, "mutation") ||
			   is_kw(&P.t, "subscription")) {
			struct bh_gql_op *op;
			doc->ops = grow(&P, doc->ops, doc->nops, &opcap, sizeof(*doc->ops));
			if (!doc->ops)
				break;
			op = &doc->ops[doc->nops++];
			op->kind = is_kw(&P.t, "query")      ? BH_GQL_QUERY
				   : is_kw(&P.t, "mutation") ? BH_GQL_MUTATION
							     : BH_GQL_SUBSCRIPTION;
			op->line = P.t.line;
			op->col = P.t.col;
			lex(&P);
			if (P.t.k == T_NAME) {
				op->name = tok_str(&P);
				lex(&P);
			}
			parse_vardefs(&P, op);
			parse_directives(&P, &op->dirs, &op->ndirs, false);
			if (P.t.k != T_LBRACE) {
				fail_at(&P, &P.t);
				break;
			}
			op->sel = parse_selset(&P);
		} else if (is_kw(&P.t, "fragment")) {
			struct bh_gql_frag *f;
			struct bh_gql_directive *dirs;
			size_t nd;
			doc->frags = grow(&P, doc->frags, doc->nfrags, &frcap, sizeof(*doc->frags));
			if (!doc->frags)
				break;
			f = &doc->frags[doc->nfrags++];
			f->line = P.t.line;
			f->col = P.t.col;
			lex(&P);
			if (P.t.k != T_NAME || is_kw(&P.t, "on")) {
				fail_at(&P, &P.t);
				break;
			}
			f->name = tok_str(&P);
			lex(&P);
			if (!is_kw(&P.t, "on")) {
				fail_at(&P, &P.t);
				break;
			}
			lex(&P);
			if (P.t.k != T_NAME) {
				fail_at(&P, &P.t);
				break;
			}
			f->type_cond = tok_str(&P);
			lex(&P);
			parse_directives(&P, &dirs, &nd, false);
			if (P.t.k != T_LBRACE) {
				fail_at(&P, &P.t);
				break;
			}
			f->sel = parse_selset(&P);
		} else {
			fail_at(&P, &P.t);
		}
	}
	if (P.failed) {
		*line = P.eline;
		*col = P.ecol;
		return -1;
	}
	return 0;
}
