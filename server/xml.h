/*
 * server/xml.h - XML in and out; the only user of libxml2.
 *
 * Parsing is strict and safe: no network, no DTD (a document with a DOCTYPE is rejected, so
 * external entities and entity expansion cannot happen), a size cap applied by the caller, and
 * the root element name checked.  Element lookups ignore namespaces (clients send the S3
 * namespace or none).
 *
 * Writing goes through a small writer on top of struct s3_buf: every text is escaped.
 */
#ifndef S3IAM_SERVER_XML_H
#define S3IAM_SERVER_XML_H

#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"

struct xml_doc;
struct xml_node;

/* Parse body; S3E_MALFORMED_XML (with *why set to a static reason) if it is not well-formed,
 * has a DTD, or its root element is not root_name.  Free with xml_free. */
s3_err xml_parse(struct s3_str body, const char *root_name, struct xml_doc **out, const char **why);
void xml_free(struct xml_doc *d);
const struct xml_node *xml_root(const struct xml_doc *d);
/* First child element named name (NULL name: any), or NULL. */
const struct xml_node *xml_child(const struct xml_node *n, const char *name);
/* Next sibling element with the same name as name (NULL: any). */
const struct xml_node *xml_next(const struct xml_node *n, const char *name);
const char *xml_name(const struct xml_node *n);
/* Text content, malloc'd (caller frees); NULL if out of memory. */
char *xml_text(const struct xml_node *n);
/* Text of the first child named name, malloc'd, or NULL if absent. */
char *xml_child_text(const struct xml_node *n, const char *name);
/* Number of element children named name. */
unsigned xml_count(const struct xml_node *n, const char *name);

/* Writer. */
struct xml_w {
    struct s3_buf *out;
    const char *stack[16];
    unsigned depth;
};
#define S3_XMLNS "http://s3.amazonaws.com/doc/2006-03-01/"
/* Writes the declaration and opens root (with xmlns when ns != NULL). */
void xw_begin(struct xml_w *w, struct s3_buf *out, const char *root, const char *ns);
void xw_open(struct xml_w *w, const char *name);
void xw_close(struct xml_w *w);
/* <name>escaped text</name> */
void xw_elem(struct xml_w *w, const char *name, const char *text);
void xw_elem_n(struct xml_w *w, const char *name, const char *text, size_t len);
void xw_elemf(struct xml_w *w, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void xw_elem_u64(struct xml_w *w, const char *name, uint64_t v);
void xw_elem_bool(struct xml_w *w, const char *name, int v);
/* ISO 8601 UTC with milliseconds, as S3 writes LastModified. */
void xw_elem_time(struct xml_w *w, const char *name, int64_t ms);
/* Closes every open element. */
void xw_end(struct xml_w *w);
/* Append text escaped for XML content to out. */
void xml_escape(struct s3_buf *out, const char *s, size_t n);

#endif
