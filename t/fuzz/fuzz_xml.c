/*
 * t/fuzz/fuzz_xml.c - libFuzzer target for XML request bodies (server/xml.c on libxml2).
 *
 * Input layout:
 *   byte 0   which root element the body is parsed for (mod the table below: every root a
 *            handler asks xml_parse for, and NULL = any root)
 *   rest     the body, exactly as it would arrive
 *
 * For an accepted document the harness walks it the way the handlers do: the generic walk
 * (every element's name, text and children, as any handler may reach them) and then the
 * shape of that root's operation (Delete/Object/Key, CompleteMultipartUpload/Part/PartNumber,
 * Tagging/TagSet/Tag/Key, ...), and writes every text back out through the XML writer, which
 * must produce a well-formed document again (re-parsed as a check).
 *
 * Invariants checked (abort() on violation, which libFuzzer reports):
 *   - a document whose prolog holds a DOCTYPE is never accepted (no DTD, no entities);
 *   - the root of an accepted document has the requested name;
 *   - escaped text round-trips through the parser unchanged (when it is valid UTF-8 without
 *     characters XML 1.0 cannot carry).
 *
 * Build and run: make fuzz-rel, or make fuzz (every target); see Makefile.am.
 */
#include "config.h"
#include "server/xml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const roots[] = {
    NULL,
    "Delete",
    "CompleteMultipartUpload",
    "Tagging",
    "VersioningConfiguration",
    "CreateBucketConfiguration",
    "PublicAccessBlockConfiguration",
    "ServerSideEncryptionConfiguration",
    "CreateAccessPointRequest",
    "PutAccessPointPolicyRequest",
};

/* Element names the handlers look up below each root (see server/s3_*.c, server/ap.c). */
static const char *const child_names[] = {
    "Object", "Key", "VersionId", "Quiet", "Part", "PartNumber", "ETag", "ChecksumCRC32",
    "ChecksumCRC32C", "ChecksumSHA1", "ChecksumSHA256", "ChecksumCRC64NVME", "TagSet", "Tag", "Value",
    "Status", "MfaDelete", "LocationConstraint", "BlockPublicAcls", "IgnorePublicAcls",
    "BlockPublicPolicy", "RestrictPublicBuckets", "Rule", "ApplyServerSideEncryptionByDefault",
    "SSEAlgorithm", "KMSMasterKeyID", "BucketKeyEnabled", "Bucket", "VpcConfiguration", "VpcId",
    "Policy", "PublicAccessBlockConfiguration",
};

/* Is s valid UTF-8 made only of characters XML 1.0 allows (so it must round-trip)? */
static int xml_safe_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i], cp, len;
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\n')
                return 0;      /* \r is normalised by parsers; other controls are not XML */
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0)
            len = 2, cp = c & 0x1F;
        else if ((c & 0xF0) == 0xE0)
            len = 3, cp = c & 0x0F;
        else if ((c & 0xF8) == 0xF0)
            len = 4, cp = c & 0x07;
        else
            return 0;
        if (i + len > n)
            return 0;
        for (unsigned k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
            return 0;
        i += len;
    }
    return 1;
}

/* Write text through the writer inside <V>...</V>, parse it back, compare. */
static void roundtrip(const char *text)
{
    struct s3_buf out;
    struct xml_w w;
    struct xml_doc *d = NULL;
    const char *why;
    size_t n = strlen(text);

    buf_init(&out, 0);
    xw_begin(&w, &out, "V", NULL);
    xw_elem_n(&w, "T", text, n);
    xw_end(&w);
    if (xml_parse(buf_str(&out), "V", &d, &why) != S3_OK) {
        /* the writer's output must always parse */
        abort();
    }
    if (xml_safe_utf8((const unsigned char *)text, n)) {
        char *back = xml_child_text(xml_root(d), "T");
        if (back == NULL || strcmp(back, text) != 0)
            abort();
        free(back);
    }
    xml_free(d);
    buf_release(&out);
}

static unsigned walk(const struct xml_node *n, unsigned depth, unsigned budget)
{
    unsigned seen = 0;
    for (const struct xml_node *c = xml_child(n, NULL); c && budget > 0; c = xml_next(c, NULL)) {
        char *t = xml_text(c);
        (void)strlen(xml_name(c));
        if (t && seen < 16)
            roundtrip(t);
        free(t);
        seen++;
        budget--;
        if (depth < 64)
            seen += walk(c, depth + 1, budget);
    }
    return seen;
}

/* The handlers' lookups: for each known name, count, first child, its text, and the same one
 * level further down (Object/Key, Part/ETag, TagSet/Tag/Key, Rule/.../SSEAlgorithm). */
static void shapes(const struct xml_node *root)
{
    for (size_t i = 0; i < sizeof(child_names) / sizeof(child_names[0]); i++) {
        const char *name = child_names[i];
        unsigned k = 0;
        (void)xml_count(root, name);
        for (const struct xml_node *c = xml_child(root, name); c && k < 64; c = xml_next(c, name), k++) {
            for (size_t j = 0; j < sizeof(child_names) / sizeof(child_names[0]); j++) {
                char *t = xml_child_text(c, child_names[j]);
                const struct xml_node *g = xml_child(c, child_names[j]);
                free(t);
                if (g)
                    for (size_t m = 0; m < 4; m++)
                        free(xml_child_text(g, child_names[m + 12]));   /* Tag/Key/Value, ... */
            }
        }
    }
}

/* Does the document's prolog (after a BOM, an XML declaration, comments-free whitespace) start
 * with a DOCTYPE?  Such a document must be refused. */
static int starts_with_doctype(struct s3_str b)
{
    const char *p = b.p, *end = b.p + b.len;
    if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    if (end - p >= 5 && memcmp(p, "<?xml", 5) == 0) {
        const char *q = memmem(p, (size_t)(end - p), "?>", 2);
        if (q == NULL)
            return 0;
        p = q + 2;
    }
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return end - p >= 9 && memcmp(p, "<!DOCTYPE", 9) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *root;
    struct xml_doc *d = NULL;
    const char *why = NULL;
    struct s3_str body;
    s3_err e;

    if (size < 1)
        return 0;
    root = roots[data[0] % (sizeof(roots) / sizeof(roots[0]))];
    body.p = (const char *)data + 1;
    body.len = size - 1;
    e = xml_parse(body, root, &d, &why);
    if (e != S3_OK) {
        if (d != NULL || why == NULL)
            abort();
        return 0;
    }
    if (starts_with_doctype(body))
        abort();   /* a DTD was accepted */
    if (root && strcmp(xml_name(xml_root(d)), root) != 0)
        abort();
    walk(xml_root(d), 0, 4096);
    shapes(xml_root(d));
    xml_free(d);
    return 0;
}
