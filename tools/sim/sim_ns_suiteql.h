/*
 * sim_ns_suiteql.h - a small SuiteQL engine for the NetSuite REST simulator:
 * tokenizer, recursive-descent parser and evaluator over abstract tables.
 *
 * Owned by the NetSuite REST helper. The engine knows nothing about the record store:
 * the caller (sim_ns_rest_query.c) describes each table with a bh_sim_sql_table (column
 * names, a row scan, an optional index lookup and a column getter). A parsed statement
 * is immutable and may be run many times; running it is single-threaded per call and
 * uses a per-run arena, so concurrent runs over a source that the caller has locked are
 * safe.
 *
 * Supported subset (Oracle syntax as SuiteQL accepts it):
 *   SELECT [DISTINCT] * | expr [[AS] alias], ...
 *   FROM table [alias] { [INNER | LEFT [OUTER]] JOIN table [alias] ON cond }
 *   [WHERE cond] [ORDER BY expr|alias|position [ASC|DESC] [NULLS FIRST|LAST], ...]
 *   cond: OR, AND, NOT, = <> != ^= < <= > >=, [NOT] IN (...), IS [NOT] NULL,
 *         [NOT] LIKE 'p%t_rn' [ESCAPE 'c'], [NOT] BETWEEN a AND b, parentheses
 *   values: 'strings', numbers, ? (bound from "params"), NULL, SYSDATE,
 *           CURRENT_DATE, unary minus, a || b
 *   functions: BUILTIN.DF(col), TO_DATE(s[,fmt]), TO_TIMESTAMP(s[,fmt]),
 *           TO_CHAR(x[,fmt]), TO_NUMBER(s), UPPER, LOWER, NVL, COALESCE, ABS
 * Values are strings, decimal numbers (as exact decimal text, never double) and dates
 * (seconds since the epoch, UTC). Results render every value as a JSON string; NULL
 * columns are omitted from the row, as NetSuite does.
 */
#ifndef BH_SIM_NS_SUITEQL_H
#define BH_SIM_NS_SUITEQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

enum bh_sim_sql_type {
	BH_SQL_NULL = 0,
	BH_SQL_STR,                 /* s: text */
	BH_SQL_NUM,                 /* s: decimal text ("-12.50") */
	BH_SQL_DATE,                /* t: seconds since the epoch, UTC */
};

struct bh_sim_sql_val {
	enum bh_sim_sql_type type;
	const char *s;
	int64_t t;
};

/** Per-run context handed to column getters (for allocating computed strings). */
struct bh_sim_sql_ctx;

/** Copy len bytes of s into the run's arena (NUL-terminated); NULL on allocation
 *  failure. The copy lives until the run ends. */
char *bh_sim_sql_strndup(struct bh_sim_sql_ctx *ctx, const char *s, size_t len);
/** printf into the run's arena. */
char *bh_sim_sql_printf(struct bh_sim_sql_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** Row callback used by scans: return 0 to go on, a negative code to stop. */
typedef int (*bh_sim_sql_row_fn)(void *row, void *arg);

/** A table the engine can read. Rows are opaque pointers owned by the source. */
struct bh_sim_sql_table {
	const char *name;                   /* lower-case SuiteQL table name */
	const char *label;                  /* name in messages ("transactionLine") */
	const char *const *columns;         /* NULL-terminated lower-case column names */
	const char *const *prefixes;        /* custom column prefixes ("custbody_"), or NULL */
	/** Call fn for every row. */
	int (*scan)(void *src, bh_sim_sql_row_fn fn, void *arg);
	/** Optional index: call fn for every row whose column `col` equals v. Return
	 *  BH_ENOTSUP when col is not indexed (the engine then scans). */
	int (*lookup)(void *src, const char *col, const struct bh_sim_sql_val *v,
		      bh_sim_sql_row_fn fn, void *arg);
	/** The value of column col (lower-case) of row; display asks for the display
	 *  value (BUILTIN.DF). Strings must stay valid until the run ends (use the ctx
	 *  helpers for computed text). Return 0 or a negative code. */
	int (*column)(void *src, void *row, const char *col, bool display,
		      struct bh_sim_sql_ctx *ctx, struct bh_sim_sql_val *out);
};

/** A parsed statement. */
struct bh_sim_sql;

/** Parse a statement. Returns 0, BH_EINVAL with a message in err, or BH_ENOMEM. */
int bh_sim_sql_parse(const char *text, struct bh_sim_sql **out, char *err, size_t errlen);
/** Free a parsed statement. */
void bh_sim_sql_free(struct bh_sim_sql *q);

/** What one run needs. */
struct bh_sim_sql_run {
	const struct bh_sim_sql_table *tables;  /* the catalog */
	size_t n_tables;
	void *src;                              /* passed to the table callbacks */
	struct json_object *params;             /* JSON array bound to '?', or NULL */
	int64_t now;                            /* SYSDATE, seconds UTC */
	/** Offset (seconds) of the account's time zone from UTC at instant t, used to show
	 *  and read dates; NULL means UTC. */
	int64_t (*tz_offset)(void *src, int64_t t);
	const char *tz_name;                    /* for messages ("America/Los_Angeles") */
	int64_t offset, limit;                  /* the page to render */
};

/**
 * Run a statement: bind names against the catalog, evaluate, sort, and render the rows
 * [offset, offset+limit) as a JSON array of objects (each with "links": [] first, then
 * the non-NULL columns as strings) into *items; *total receives the number of rows.
 * Returns 0, BH_EINVAL with a message (unknown table/column, type error, bad date,
 * missing parameter) in err, or BH_ENOMEM. Messages are NetSuite's detail text after
 * "Invalid search query. Detailed unprocessed description follows. " (e.g. "Search
 * error occurred: Field 'x' for record 'transaction' was not found."). Parse errors
 * from bh_sim_sql_parse have the same form.
 */
int bh_sim_sql_execute(const struct bh_sim_sql *q, const struct bh_sim_sql_run *run,
		       struct json_object **items, int64_t *total, char *err, size_t errlen);

/* --- value helpers shared with the table getters --- */

/** Compare two decimal texts exactly; returns <0, 0, >0. Non-numbers compare as 0. */
int bh_sim_sql_dec_cmp(const char *a, const char *b);
/** Whether s is a decimal number ("-12", "3.50", ".5"). */
bool bh_sim_sql_is_dec(const char *s);
/** Render seconds UTC with an Oracle-style format ("YYYY-MM-DD HH24:MI:SS"; NULL means
 *  NetSuite's default date format M/D/YYYY) into buf. Returns 0 or BH_EINVAL. */
int bh_sim_sql_format_date(int64_t t, const char *fmt, char *buf, size_t len);
/** Parse text with an Oracle-style format (NULL: M/D/YYYY with an optional time).
 *  Returns 0 or BH_EINVAL. */
int bh_sim_sql_parse_date(const char *text, const char *fmt, int64_t *t);

#endif
