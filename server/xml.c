/* server/xml.c - see xml.h. */
#include "config.h"
#include "server/xml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

struct xml_doc {
    xmlDocPtr doc;
};

/* Keep libxml2 quiet: parse errors become MalformedXML, not stderr noise. */
static void xml_silent(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

s3_err xml_parse(struct s3_str body, const char *root_name, struct xml_doc **out, const char **why)
{
    xmlDocPtr doc;
    xmlNodePtr root;
    struct xml_doc *d;

    *out = NULL;
    *why = "The XML you provided was not well-formed or did not validate against our published schema.";
    if (body.len == 0 || body.len > INT32_MAX)
        return S3E_MALFORMED_XML;
    xmlSetGenericErrorFunc(NULL, xml_silent);
    /* No XML_PARSE_NOENT (entities are never substituted), no DTD loading, no network. */
    doc = xmlReadMemory(body.p, (int)body.len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
    if (doc == NULL)
        return S3E_MALFORMED_XML;
    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        *why = "XML documents with a DOCTYPE (DTD, entities) are not accepted.";
        xmlFreeDoc(doc);
        return S3E_MALFORMED_XML;
    }
    root = xmlDocGetRootElement(doc);
    if (root == NULL || (root_name && strcmp((const char *)root->name, root_name) != 0)) {
        xmlFreeDoc(doc);
        return S3E_MALFORMED_XML;
    }
    if ((d = malloc(sizeof(*d))) == NULL) {
        xmlFreeDoc(doc);
        return S3E_NOMEM;
    }
    d->doc = doc;
    *out = d;
    return S3_OK;
}

void xml_free(struct xml_doc *d)
{
    if (d == NULL)
        return;
    xmlFreeDoc(d->doc);
    free(d);
}

const struct xml_node *xml_root(const struct xml_doc *d)
{
    return (const struct xml_node *)xmlDocGetRootElement(d->doc);
}

static const struct xml_node *scan(xmlNodePtr c, const char *name)
{
    for (; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && (name == NULL || strcmp((const char *)c->name, name) == 0))
            return (const struct xml_node *)c;
    return NULL;
}

const struct xml_node *xml_child(const struct xml_node *n, const char *name)
{
    return n ? scan(((xmlNodePtr)n)->children, name) : NULL;
}

const struct xml_node *xml_next(const struct xml_node *n, const char *name)
{
    return n ? scan(((xmlNodePtr)n)->next, name) : NULL;
}

const char *xml_name(const struct xml_node *n) { return (const char *)((xmlNodePtr)n)->name; }

char *xml_text(const struct xml_node *n)
{
    xmlChar *t = xmlNodeGetContent((xmlNodePtr)n);
    char *r;
    if (t == NULL)
        return strdup("");
    r = strdup((const char *)t);
    xmlFree(t);
    return r;
}

char *xml_child_text(const struct xml_node *n, const char *name)
{
    const struct xml_node *c = xml_child(n, name);
    return c ? xml_text(c) : NULL;
}

unsigned xml_count(const struct xml_node *n, const char *name)
{
    unsigned k = 0;
    for (const struct xml_node *c = xml_child(n, name); c; c = xml_next(c, name))
        k++;
    return k;
}

/* ------------------------------------------------------------------ writer */

void xml_escape(struct s3_buf *out, const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep = NULL;
        char num[8];
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        case '\r': rep = "&#13;"; break;
        default:
            if (c < 0x20 && c != '\n' && c != '\t') {
                /* Not representable in XML 1.0; S3 clients avoid it with encoding-type=url. */
                snprintf(num, sizeof(num), "&#%u;", c);
                rep = num;
            }
        }
        if (rep) {
            buf_add(out, s + start, i - start);
            buf_adds(out, rep);
            start = i + 1;
        }
    }
    buf_add(out, s + start, n - start);
}

void xw_begin(struct xml_w *w, struct s3_buf *out, const char *root, const char *ns)
{
    w->out = out;
    w->depth = 0;
    buf_adds(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    if (ns) {
        buf_addf(out, "<%s xmlns=\"%s\">", root, ns);
        w->stack[w->depth++] = root;
    } else {
        xw_open(w, root);
    }
}

void xw_open(struct xml_w *w, const char *name)
{
    buf_addf(w->out, "<%s>", name);
    if (w->depth < sizeof(w->stack) / sizeof(w->stack[0]))
        w->stack[w->depth++] = name;
}

void xw_close(struct xml_w *w)
{
    if (w->depth)
        buf_addf(w->out, "</%s>", w->stack[--w->depth]);
}

void xw_elem_n(struct xml_w *w, const char *name, const char *text, size_t len)
{
    buf_addf(w->out, "<%s>", name);
    xml_escape(w->out, text, len);
    buf_addf(w->out, "</%s>", name);
}

void xw_elem(struct xml_w *w, const char *name, const char *text)
{
    xw_elem_n(w, name, text ? text : "", text ? strlen(text) : 0);
}

void xw_elemf(struct xml_w *w, const char *name, const char *fmt, ...)
{
    struct s3_buf t;
    va_list ap;
    buf_init(&t, 0);
    va_start(ap, fmt);
    buf_vaddf(&t, fmt, ap);
    va_end(ap);
    xw_elem_n(w, name, t.p ? t.p : "", t.len);
    buf_release(&t);
}

void xw_elem_u64(struct xml_w *w, const char *name, uint64_t v)
{
    buf_addf(w->out, "<%s>%llu</%s>", name, (unsigned long long)v, name);
}

void xw_elem_bool(struct xml_w *w, const char *name, int v) { xw_elem(w, name, v ? "true" : "false"); }

void xw_elem_time(struct xml_w *w, const char *name, int64_t ms)
{
    char t[40];
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t n = strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(t + n, sizeof(t) - n, ".%03dZ", (int)(ms % 1000));
    xw_elem(w, name, t);
}

void xw_end(struct xml_w *w)
{
    while (w->depth)
        xw_close(w);
}
