/*
 * storage/blob.c - object bytes on disk: encrypted blob files, their writer and reader, the
 * master key, and deletion that waits for open readers.
 *
 * Blob file format (DATA/blobs/xx/<32 hex digits of the 128-bit random id>, xx = first two):
 *
 *   off  len  field
 *     0    4  magic "S3IB"
 *     4    1  format version (1)
 *     5    1  cipher (1 = AES-256-GCM)
 *     6    2  reserved, 0
 *     8    4  plaintext segment size, big-endian (65536)
 *    12   12  nonce of the key wrap
 *    24   32  the file's data key, AES-256-GCM encrypted with DATA/master.key
 *    56   16  tag of the key wrap; AAD = bytes 0..23 followed by the 16-byte blob id, so a
 *             file copied under another id does not open
 *    72       segment 0: min(65536, rest) ciphertext bytes, then its 16-byte tag; segment 1 ...
 *
 * Each file has its own random data key and is written once, so the segment nonce can simply
 * be 4 zero bytes + the 64-bit big-endian segment index: no (key, nonce) pair ever repeats.
 * A segment's AAD is its index (8 bytes BE) and a final flag (1 byte, 1 on the last segment),
 * so segments cannot be reordered, and a file cut at a segment boundary fails on its new last
 * segment.  The plaintext size comes from the metadata; an empty blob is one empty segment.
 *
 * Writes stream through one segment buffer: the header and the first segment leave in one
 * write(), so a small object costs open + write + close + rename.
 */
#include "config.h"
#include "storage/stor_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "lib/log.h"

#define HDR_MAGIC "S3IB"
#define HDR_VERSION 1
#define HDR_CIPHER_GCM 1
#define HDR_AAD_LEN 24             /* header bytes covered by the key wrap tag */
#define SEG_DISK (STOR_SEG + STOR_TAG)

/* ------------------------------------------------------------------ helpers */

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

static void hex_id(const unsigned char *id, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (unsigned i = 0; i < STOR_ID; i++) {
        out[2 * i] = hx[id[i] >> 4];
        out[2 * i + 1] = hx[id[i] & 15];
    }
    out[2 * STOR_ID] = 0;
}

void blob_relpath(const unsigned char *id, char out[2 + 1 + 2 * STOR_ID + 1])
{
    hex_id(id, out + 3);
    out[0] = out[3];
    out[1] = out[4];
    out[2] = '/';
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* pread exactly n bytes; -1 with errno, or -2 on a short file. */
static int pread_all(int fd, unsigned char *p, size_t n, uint64_t off)
{
    while (n > 0) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            return -2;
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

/* Segment nonce and AAD (see the format above). */
static void seg_params(uint64_t idx, int final, unsigned char nonce[12], unsigned char aad[9])
{
    memset(nonce, 0, 4);
    put_be64(nonce + 4, idx);
    put_be64(aad, idx);
    aad[8] = (unsigned char)(final ? 1 : 0);
}

/* ------------------------------------------------------------------ master key */

static int read_key_file(int fd, unsigned char *kek)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0 || sb.st_size != 32)
        return -1;
    return pread_all(fd, kek, 32, 0) == 0 ? 0 : -1;
}

s3_err blob_key_init(struct stor *st, char *errbuf, size_t errlen)
{
    int fd = openat(st->dir_fd, "master.key", O_RDONLY | O_CLOEXEC);
    s3_err e = S3E_INTERNAL;

    if (fd < 0 && errno == ENOENT) {
        /* First start: write the key under a temporary name, sync it, then link it into
         * place, so master.key is never seen half written. */
        unsigned char k[32];
        int t = openat(st->dir_fd, "master.key.new", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (t < 0 || RAND_bytes(k, sizeof(k)) != 1 || write_all(t, k, sizeof(k)) != 0 || fsync(t) != 0) {
            snprintf(errbuf, errlen, "cannot create %s/master.key: %s", st->dir, strerror(errno));
            if (t >= 0)
                close(t);
            OPENSSL_cleanse(k, sizeof(k));
            return S3E_INTERNAL;
        }
        OPENSSL_cleanse(k, sizeof(k));
        close(t);
        if (linkat(st->dir_fd, "master.key.new", st->dir_fd, "master.key", 0) != 0 && errno != EEXIST) {
            snprintf(errbuf, errlen, "cannot create %s/master.key: %s", st->dir, strerror(errno));
            return S3E_INTERNAL;
        }
        unlinkat(st->dir_fd, "master.key.new", 0);
        fsync(st->dir_fd);
        log_info("storage: created a new master key in %s/master.key", st->dir);
        st->kek_created = 1;
        fd = openat(st->dir_fd, "master.key", O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0) {
        snprintf(errbuf, errlen, "cannot open %s/master.key: %s", st->dir, strerror(errno));
        return S3E_INTERNAL;
    }
    if (read_key_file(fd, st->kek) != 0) {
        snprintf(errbuf, errlen, "%s/master.key is not a 32-byte key file", st->dir);
        goto out;
    }
    e = S3_OK;
out:
    close(fd);
    return e;
}

/* ------------------------------------------------------------------ writer */

struct stor_blob {
    struct stor *st;
    unsigned char id[STOR_ID];
    char name[2 * STOR_ID + 1];    /* hex id: the temp file name in tmp/ */
    int fd;
    EVP_CIPHER_CTX *ctx;           /* keyed with the data key */
    unsigned char *buf;            /* header room + one segment + tag */
    size_t len;                    /* plaintext bytes buffered at buf + STOR_HDR */
    int hdr_pending;               /* header not yet written: it leaves with segment 0 */
    uint64_t seg;                  /* index of the buffered segment */
    uint64_t size;
    int failed;
};

static void blob_free(struct stor_blob *b)
{
    if (b->fd >= 0)
        close(b->fd);
    EVP_CIPHER_CTX_free(b->ctx);
    if (b->buf) {
        OPENSSL_cleanse(b->buf, STOR_HDR);
        free(b->buf);
    }
    free(b);
}

s3_err stor_blob_new(struct stor *st, struct stor_blob **out)
{
    struct stor_blob *b;
    unsigned char rnd[STOR_ID + 32 + 12];   /* id, data key, wrap nonce */
    unsigned char *dek = rnd + STOR_ID, *wnonce = dek + 32, *h;
    int l;
    s3_err e = S3E_INTERNAL;

    *out = NULL;
    if ((b = calloc(1, sizeof(*b))) == NULL)
        return S3E_NOMEM;
    b->st = st;
    b->fd = -1;
    if ((b->buf = malloc(STOR_HDR + SEG_DISK)) == NULL || (b->ctx = EVP_CIPHER_CTX_new()) == NULL) {
        e = S3E_NOMEM;
        goto out;
    }
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        log_error("storage: RAND_bytes failed");
        goto out;
    }
    memcpy(b->id, rnd, STOR_ID);
    hex_id(b->id, b->name);

    /* header */
    h = b->buf;
    memcpy(h, HDR_MAGIC, 4);
    h[4] = HDR_VERSION;
    h[5] = HDR_CIPHER_GCM;
    h[6] = h[7] = 0;
    put_be32(h + 8, STOR_SEG);
    memcpy(h + 12, wnonce, 12);
    if (EVP_EncryptInit_ex(b->ctx, st->gcm, NULL, st->kek, wnonce) != 1 ||
        EVP_EncryptUpdate(b->ctx, NULL, &l, h, HDR_AAD_LEN) != 1 ||
        EVP_EncryptUpdate(b->ctx, NULL, &l, b->id, STOR_ID) != 1 ||
        EVP_EncryptUpdate(b->ctx, h + 24, &l, dek, 32) != 1 || EVP_EncryptFinal_ex(b->ctx, h + 56, &l) != 1 ||
        EVP_CIPHER_CTX_ctrl(b->ctx, EVP_CTRL_GCM_GET_TAG, 16, h + 56) != 1 ||
        EVP_EncryptInit_ex(b->ctx, NULL, NULL, dek, NULL) != 1) {
        log_error("storage: AES-GCM key setup failed");
        goto out;
    }
    b->hdr_pending = 1;
    b->fd = openat(st->tmp_fd, b->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (b->fd < 0) {
        log_error("storage: cannot create %s/tmp/%s: %s", st->dir, b->name, strerror(errno));
        goto out;
    }
    e = S3_OK;
out:
    OPENSSL_cleanse(rnd, sizeof(rnd));
    if (e != S3_OK) {
        blob_free(b);
        return e;
    }
    *out = b;
    return S3_OK;
}

/* Encrypt the buffered segment and write it out. */
static s3_err blob_flush(struct stor_blob *b, int final)
{
    unsigned char nonce[12], aad[9];
    unsigned char *p = b->buf + STOR_HDR;
    int l;

    seg_params(b->seg, final, nonce, aad);
    if (EVP_EncryptInit_ex(b->ctx, NULL, NULL, NULL, nonce) != 1 ||
        EVP_EncryptUpdate(b->ctx, NULL, &l, aad, sizeof(aad)) != 1 ||
        (b->len > 0 && EVP_EncryptUpdate(b->ctx, p, &l, p, (int)b->len) != 1) ||
        EVP_EncryptFinal_ex(b->ctx, p + b->len, &l) != 1 ||
        EVP_CIPHER_CTX_ctrl(b->ctx, EVP_CTRL_GCM_GET_TAG, STOR_TAG, p + b->len) != 1) {
        log_error("storage: AES-GCM encryption failed");
        return S3E_INTERNAL;
    }
    if (b->hdr_pending ? write_all(b->fd, b->buf, STOR_HDR + b->len + STOR_TAG)
                       : write_all(b->fd, p, b->len + STOR_TAG)) {
        log_error("storage: write %s/tmp/%s: %s", b->st->dir, b->name, strerror(errno));
        return S3E_INTERNAL;
    }
    if (b->hdr_pending) {
        OPENSSL_cleanse(b->buf, STOR_HDR);
        b->hdr_pending = 0;
    }
    b->seg++;
    b->len = 0;
    return S3_OK;
}

s3_err stor_blob_write(struct stor_blob *b, const void *data, size_t n)
{
    const unsigned char *d = data;

    if (b == NULL || b->failed)
        return S3E_INTERNAL;
    while (n > 0) {
        size_t take;
        /* A full segment is written only once more data shows it is not the last one. */
        if (b->len == STOR_SEG && blob_flush(b, 0) != S3_OK) {
            b->failed = 1;
            return S3E_INTERNAL;
        }
        take = STOR_SEG - b->len;
        if (take > n)
            take = n;
        memcpy(b->buf + STOR_HDR + b->len, d, take);
        b->len += take;
        b->size += take;
        d += take;
        n -= take;
    }
    return S3_OK;
}

uint64_t stor_blob_size(const struct stor_blob *b)
{
    return b ? b->size : 0;
}

void stor_blob_abort(struct stor_blob *b)
{
    if (b == NULL)
        return;
    if (b->fd >= 0) {
        close(b->fd);
        b->fd = -1;
        unlinkat(b->st->tmp_fd, b->name, 0);
    }
    blob_free(b);
}

s3_err blob_finish(struct stor_blob *b, struct blob_ref *ref_out)
{
    struct stor *st = b->st;
    char rel[2 + 1 + 2 * STOR_ID + 1];
    int fd;

    if (b->failed || blob_flush(b, 1) != S3_OK)
        goto fail;
    if (st->fsync && fdatasync(b->fd) != 0) {
        log_error("storage: fdatasync %s/tmp/%s: %s", st->dir, b->name, strerror(errno));
        goto fail;
    }
    fd = b->fd;
    b->fd = -1;
    if (close(fd) != 0) {
        log_error("storage: close %s/tmp/%s: %s", st->dir, b->name, strerror(errno));
        unlinkat(st->tmp_fd, b->name, 0);
        blob_free(b);
        return S3E_INTERNAL;
    }
    blob_relpath(b->id, rel);
    if (renameat(st->tmp_fd, b->name, st->blobs_fd, rel) != 0) {
        log_error("storage: rename tmp/%s to blobs/%s in %s: %s", b->name, rel, st->dir, strerror(errno));
        unlinkat(st->tmp_fd, b->name, 0);
        blob_free(b);
        return S3E_INTERNAL;
    }
    if (st->fsync) {
        /* the rename is durable once the directory holding the new name is synced */
        char sub[3] = { rel[0], rel[1], 0 };
        int dfd = openat(st->blobs_fd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int rc = dfd >= 0 ? fsync(dfd) : -1;
        if (dfd >= 0)
            close(dfd);
        if (rc != 0) {
            log_error("storage: fsync %s/blobs/%s: %s", st->dir, sub, strerror(errno));
            unlinkat(st->blobs_fd, rel, 0);
            blob_free(b);
            return S3E_INTERNAL;
        }
    }
    memcpy(ref_out->id, b->id, STOR_ID);
    ref_out->size = b->size;
    blob_free(b);
    return S3_OK;
fail:
    stor_blob_abort(b);
    return S3E_INTERNAL;
}

/* ------------------------------------------------------------------ deletion and pins */

struct stor_reader {
    struct stor *st;
    struct blob_ref *segs;         /* the object's blobs in order */
    uint64_t *starts;              /* object offset of each */
    size_t nsegs;
    uint64_t total;
    struct blob_ref *pins;         /* segs sorted by id: what this reader keeps alive */
    struct stor_reader *prev, *next;
    size_t cur;                    /* index of the open blob; SIZE_MAX if none */
    int fd;
    EVP_CIPHER_CTX *ctx;
    uint64_t cseg;                 /* segment of blob cur decrypted in buf */
    int cvalid;
    size_t clen;
    unsigned char *buf;            /* one segment + tag */
};

static int id_cmp(const void *a, const void *b)
{
    return memcmp(((const struct blob_ref *)a)->id, ((const struct blob_ref *)b)->id, STOR_ID);
}

/* Caller holds pin_mu. */
static int blob_pinned(struct stor *st, const unsigned char *id)
{
    struct blob_ref key;
    memcpy(key.id, id, STOR_ID);
    for (struct stor_reader *r = st->open_readers; r; r = r->next)
        if (bsearch(&key, r->pins, r->nsegs, sizeof(*r->pins), id_cmp))
            return 1;
    return 0;
}

static void unlink_one(struct stor *st, const unsigned char *id)
{
    char rel[2 + 1 + 2 * STOR_ID + 1];
    blob_relpath(id, rel);
    if (unlinkat(st->blobs_fd, rel, 0) != 0 && errno != ENOENT)
        log_error("storage: unlink %s/blobs/%s: %s", st->dir, rel, strerror(errno));
}

void blob_unlink(struct stor *st, const struct blob_refs *l)
{
    if (l == NULL || l->n == 0)
        return;
    /* Unlink under the lock: a reader registering now either sees del_gen moved (and checks
     * its files) or is already registered and makes us defer. */
    pthread_mutex_lock(&st->pin_mu);
    st->del_gen++;
    for (size_t i = 0; i < l->n; i++) {
        if (blob_pinned(st, l->v[i].id)) {
            if (refs_add(&st->deferred, l->v[i].id, 0) != S3_OK)
                log_error("storage: out of memory; a blob stays until the next start-up sweep");
        } else {
            unlink_one(st, l->v[i].id);
        }
    }
    pthread_mutex_unlock(&st->pin_mu);
}

uint64_t blob_del_gen(struct stor *st)
{
    uint64_t g;
    pthread_mutex_lock(&st->pin_mu);
    g = st->del_gen;
    pthread_mutex_unlock(&st->pin_mu);
    return g;
}

/* Unregister r and remove the deferred blobs nobody holds any more. */
static void reader_unpin(struct stor_reader *r)
{
    struct stor *st = r->st;
    size_t keep = 0;

    pthread_mutex_lock(&st->pin_mu);
    if (r->prev)
        r->prev->next = r->next;
    else if (st->open_readers == r)
        st->open_readers = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
    for (size_t i = 0; i < st->deferred.n; i++) {
        if (blob_pinned(st, st->deferred.v[i].id))
            st->deferred.v[keep++] = st->deferred.v[i];
        else
            unlink_one(st, st->deferred.v[i].id);
    }
    st->deferred.n = keep;
    pthread_mutex_unlock(&st->pin_mu);
}

static void reader_free(struct stor_reader *r)
{
    if (r->fd >= 0)
        close(r->fd);
    EVP_CIPHER_CTX_free(r->ctx);
    free(r->segs);
    free(r->starts);
    free(r->pins);
    free(r->buf);
    free(r);
}

s3_err blob_reader_new(struct stor *st, const struct blob_refs *segs, uint64_t gen, struct stor_reader **out,
                       int *stale_out)
{
    struct stor_reader *r;
    size_t n = segs->n;
    int moved;

    *out = NULL;
    *stale_out = 0;
    if ((r = calloc(1, sizeof(*r))) == NULL)
        return S3E_NOMEM;
    r->st = st;
    r->fd = -1;
    r->cur = SIZE_MAX;
    r->nsegs = n;
    if ((r->segs = malloc((n ? n : 1) * sizeof(*r->segs))) == NULL ||
        (r->starts = malloc((n ? n : 1) * sizeof(*r->starts))) == NULL ||
        (r->pins = malloc((n ? n : 1) * sizeof(*r->pins))) == NULL || (r->buf = malloc(SEG_DISK)) == NULL ||
        (r->ctx = EVP_CIPHER_CTX_new()) == NULL) {
        reader_free(r);
        return S3E_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        r->segs[i] = segs->v[i];
        r->starts[i] = r->total;
        r->total += segs->v[i].size;
    }
    if (n)
        memcpy(r->pins, r->segs, n * sizeof(*r->pins));
    qsort(r->pins, n, sizeof(*r->pins), id_cmp);

    pthread_mutex_lock(&st->pin_mu);
    r->next = st->open_readers;
    if (r->next)
        r->next->prev = r;
    st->open_readers = r;
    moved = st->del_gen != gen;
    pthread_mutex_unlock(&st->pin_mu);

    /* Some blobs were deleted since the caller's snapshot began: make sure none was ours.
     * Files present now stay, since we are registered. */
    for (size_t i = 0; moved && i < n; i++) {
        char rel[2 + 1 + 2 * STOR_ID + 1];
        blob_relpath(r->segs[i].id, rel);
        if (faccessat(st->blobs_fd, rel, F_OK, 0) != 0) {
            reader_unpin(r);
            reader_free(r);
            *stale_out = 1;
            return S3_OK;
        }
    }
    *out = r;
    return S3_OK;
}

void stor_reader_close(struct stor_reader *r)
{
    if (r == NULL)
        return;
    reader_unpin(r);
    reader_free(r);
}

/* ------------------------------------------------------------------ reading */

/* Open blob i of r: read its header and unwrap its data key into r->ctx. */
static int reader_open_blob(struct stor_reader *r, size_t i)
{
    struct stor *st = r->st;
    unsigned char h[STOR_HDR], dek[32], fin[16];
    char rel[2 + 1 + 2 * STOR_ID + 1];
    int l, ok, rc;

    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    r->cur = SIZE_MAX;
    r->cvalid = 0;
    blob_relpath(r->segs[i].id, rel);
    if ((r->fd = openat(st->blobs_fd, rel, O_RDONLY | O_CLOEXEC)) < 0) {
        log_error("storage: open %s/blobs/%s: %s", st->dir, rel, strerror(errno));
        return -1;
    }
    if ((rc = pread_all(r->fd, h, sizeof(h), 0)) != 0) {
        log_error("storage: blob %s: %s", rel, rc == -2 ? "shorter than its header" : strerror(errno));
        return -1;
    }
    if (memcmp(h, HDR_MAGIC, 4) != 0 || h[4] != HDR_VERSION || h[5] != HDR_CIPHER_GCM ||
        get_be32(h + 8) != STOR_SEG) {
        log_error("storage: blob %s: unknown header", rel);
        return -1;
    }
    ok = EVP_DecryptInit_ex(r->ctx, st->gcm, NULL, st->kek, h + 12) == 1 &&
         EVP_DecryptUpdate(r->ctx, NULL, &l, h, HDR_AAD_LEN) == 1 &&
         EVP_DecryptUpdate(r->ctx, NULL, &l, r->segs[i].id, STOR_ID) == 1 &&
         EVP_DecryptUpdate(r->ctx, dek, &l, h + 24, 32) == 1 &&
         EVP_CIPHER_CTX_ctrl(r->ctx, EVP_CTRL_GCM_SET_TAG, 16, h + 56) == 1 &&
         EVP_DecryptFinal_ex(r->ctx, fin, &l) == 1 && EVP_DecryptInit_ex(r->ctx, NULL, NULL, dek, NULL) == 1;
    OPENSSL_cleanse(dek, sizeof(dek));
    if (!ok) {
        log_error("storage: blob %s: data key does not authenticate (wrong master key or damaged file)", rel);
        return -1;
    }
    r->cur = i;
    return 0;
}

/* Decrypt segment idx of the open blob into r->buf. */
static int reader_load_seg(struct stor_reader *r, uint64_t idx)
{
    uint64_t bsize = r->segs[r->cur].size;
    uint64_t nseg = bsize == 0 ? 1 : (bsize + STOR_SEG - 1) / STOR_SEG;
    unsigned char nonce[12], aad[9];
    char rel[2 + 1 + 2 * STOR_ID + 1];
    size_t len;
    int l, rc;

    r->cvalid = 0;
    len = idx == nseg - 1 ? (size_t)(bsize - idx * STOR_SEG) : STOR_SEG;
    blob_relpath(r->segs[r->cur].id, rel);
    if ((rc = pread_all(r->fd, r->buf, len + STOR_TAG, STOR_HDR + idx * (uint64_t)SEG_DISK)) != 0) {
        log_error("storage: blob %s segment %llu: %s", rel, (unsigned long long)idx,
                  rc == -2 ? "file is truncated" : strerror(errno));
        return -1;
    }
    seg_params(idx, idx == nseg - 1, nonce, aad);
    if (EVP_DecryptInit_ex(r->ctx, NULL, NULL, NULL, nonce) != 1 ||
        EVP_DecryptUpdate(r->ctx, NULL, &l, aad, sizeof(aad)) != 1 ||
        (len > 0 && EVP_DecryptUpdate(r->ctx, r->buf, &l, r->buf, (int)len) != 1) ||
        EVP_CIPHER_CTX_ctrl(r->ctx, EVP_CTRL_GCM_SET_TAG, STOR_TAG, r->buf + len) != 1 ||
        EVP_DecryptFinal_ex(r->ctx, r->buf + len, &l) != 1) {
        log_error("storage: blob %s segment %llu: authentication failed (tampered or damaged)", rel,
                  (unsigned long long)idx);
        return -1;
    }
    r->cseg = idx;
    r->clen = len;
    r->cvalid = 1;
    return 0;
}

ssize_t stor_reader_pread(struct stor_reader *r, void *dst, size_t n, uint64_t off)
{
    unsigned char *d = dst;
    size_t done = 0;

    if (r == NULL)
        return -1;
    if (n > SSIZE_MAX)
        n = SSIZE_MAX;
    while (done < n && off < r->total) {
        size_t lo = 0, hi = r->nsegs, i;
        uint64_t within, idx;
        size_t at, take;

        /* The last blob starting at or before off: starts[lo] <= off < starts[lo + 1], so an
         * empty blob (its start equals the next one's) is never chosen. */
        while (hi - lo > 1) {
            size_t mid = (lo + hi) / 2;
            if (r->starts[mid] <= off)
                lo = mid;
            else
                hi = mid;
        }
        i = lo;
        within = off - r->starts[i];
        idx = within / STOR_SEG;
        if (r->cur != i && reader_open_blob(r, i) != 0)
            return -1;
        if ((!r->cvalid || r->cseg != idx) && reader_load_seg(r, idx) != 0)
            return -1;
        at = (size_t)(within - idx * STOR_SEG);
        take = r->clen - at;
        if (take > n - done)
            take = n - done;
        memcpy(d + done, r->buf + at, take);
        done += take;
        off += take;
    }
    return (ssize_t)done;
}
