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
 * Writes stream through one segment buffer.  The temp file is created only when that buffer
 * is full and more data arrives (or at the end, for a blob over st->inline_max): a blob of at
 * most one segment never touches the file system.  Its bytes - exactly what the file would hold,
 * so encryption at rest and the reader's decryption are the same - become a row of blob_inline,
 * written by the commit that references the blob (meta_inline_put).  Bigger blobs stream as
 * before: header and first segment in one write(), then one write() per segment, then close +
 * rename into blobs/xx/, creating that fan-out directory on its first use.
 *
 * The id of an inline blob is in its key-wrap AAD as for a file, so a row copied under another
 * id does not open either.  Since that id never names a file, it need not spread over the fan-out
 * directories: it is a time stamp (8 bytes, big-endian ns, increasing within the process) then
 * 8 random bytes, so that blob_inline, keyed by the stamp, grows at its right edge (one leaf
 * page per commit, mostly the same one) instead of at a random leaf.  Which kind of id a blob gets is
 * known only when it spills to a file or finishes small, so the header (which binds the id) is
 * made then, just before segment 0 is encrypted.
 */
#include "config.h"
#include "storage/stor_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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
    unsigned char id[STOR_ID];     /* random; an inline blob's gets its time stamp at the end */
    char name[2 * STOR_ID + 1];    /* hex id: the temp file name in tmp/ */
    int fd;                        /* the temp file; -1 while the blob fits in buf */
    unsigned char keys[32 + 12];   /* data key and key-wrap nonce until the header is made */
    int keyed;                     /* header made, ctx keyed with the data key, keys wiped */
    EVP_CIPHER_CTX *ctx;
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
    OPENSSL_cleanse(b->keys, sizeof(b->keys));
    if (b->buf) {
        OPENSSL_cleanse(b->buf, STOR_HDR);
        free(b->buf);
    }
    free(b);
}

/* The first 8 bytes of an inline blob id: ns since the epoch, strictly increasing in the store
 * (st->inline_seq starts above every stamp stored, so a clock set back cannot repeat one; the
 * top bit stays clear: it is blob_inline's integer key). */
static uint64_t inline_stamp(struct stor *st)
{
    struct timespec ts;
    uint64_t now, prev;

    clock_gettime(CLOCK_REALTIME, &ts);
    now = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) & (uint64_t)INT64_MAX;
    prev = atomic_load(&st->inline_seq);
    do {
        if (now <= prev)
            now = prev + 1;
    } while (!atomic_compare_exchange_weak(&st->inline_seq, &prev, now));
    return now;
}

/* Make the header for the blob's final id (the data key wrapped with the master key, the id in
 * the AAD) and key ctx with the data key for the segments. */
static s3_err blob_keyup(struct stor_blob *b)
{
    struct stor *st = b->st;
    unsigned char *dek = b->keys, *wnonce = b->keys + 32, *h = b->buf;
    int l, ok;

    memcpy(h, HDR_MAGIC, 4);
    h[4] = HDR_VERSION;
    h[5] = HDR_CIPHER_GCM;
    h[6] = h[7] = 0;
    put_be32(h + 8, STOR_SEG);
    memcpy(h + 12, wnonce, 12);
    ok = EVP_EncryptInit_ex(b->ctx, st->gcm, NULL, st->kek, wnonce) == 1 &&
         EVP_EncryptUpdate(b->ctx, NULL, &l, h, HDR_AAD_LEN) == 1 &&
         EVP_EncryptUpdate(b->ctx, NULL, &l, b->id, STOR_ID) == 1 &&
         EVP_EncryptUpdate(b->ctx, h + 24, &l, dek, 32) == 1 && EVP_EncryptFinal_ex(b->ctx, h + 56, &l) == 1 &&
         EVP_CIPHER_CTX_ctrl(b->ctx, EVP_CTRL_GCM_GET_TAG, 16, h + 56) == 1 &&
         EVP_EncryptInit_ex(b->ctx, NULL, NULL, dek, NULL) == 1;
    OPENSSL_cleanse(b->keys, sizeof(b->keys));
    if (!ok) {
        log_error("storage: AES-GCM key setup failed");
        return S3E_INTERNAL;
    }
    b->keyed = 1;
    return S3_OK;
}

s3_err stor_blob_new(struct stor *st, struct stor_blob **out)
{
    struct stor_blob *b;
    unsigned char rnd[STOR_ID + 32 + 12];   /* id, data key, wrap nonce */
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
    memcpy(b->keys, rnd + STOR_ID, sizeof(b->keys));
    hex_id(b->id, b->name);
    b->hdr_pending = 1;   /* made by blob_keyup before segment 0 is sealed */
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

/* Encrypt the buffered segment in place and append its tag (b->len and b->seg unchanged). */
static s3_err blob_seal(struct stor_blob *b, int final)
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
    return S3_OK;
}

/* Encrypt the buffered segment and write it out, creating the temp file on the first call. */
static s3_err blob_flush(struct stor_blob *b, int final)
{
    unsigned char *p = b->buf + STOR_HDR;

    if (b->fd < 0) {
        b->fd = openat(b->st->tmp_fd, b->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (b->fd < 0) {
            log_error("storage: cannot create %s/tmp/%s: %s", b->st->dir, b->name, strerror(errno));
            return S3E_INTERNAL;
        }
    }
    /* a file keeps its random id: it names the file and spreads files over blobs/xx */
    if (!b->keyed && blob_keyup(b) != S3_OK)
        return S3E_INTERNAL;
    if (blob_seal(b, final) != S3_OK)
        return S3E_INTERNAL;
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

/* Move the closed temp file name to blobs/rel.  The fan-out directory blobs/xx is made on its
 * first use (ENOENT); with fsync, blobs/ is synced before the file goes in, so the new
 * directory's entry is durable before anything depends on it.  -1 with errno. */
static int blob_place(struct stor *st, const char *name, const char *rel)
{
    char sub[3] = { rel[0], rel[1], 0 };

    if (renameat(st->tmp_fd, name, st->blobs_fd, rel) == 0)
        return 0;
    if (errno != ENOENT)
        return -1;
    /* EEXIST: another writer made it a moment ago; with fsync we cannot know it synced blobs/
     * yet, so sync it too (rare: only the first writers into a directory race). */
    if (mkdirat(st->blobs_fd, sub, 0700) != 0 && errno != EEXIST) {
        log_error("storage: cannot create %s/blobs/%s: %s", st->dir, sub, strerror(errno));
        return -1;
    }
    if (st->fsync && fsync(st->blobs_fd) != 0) {
        log_error("storage: fsync %s/blobs: %s", st->dir, strerror(errno));
        return -1;
    }
    return renameat(st->tmp_fd, name, st->blobs_fd, rel);
}

s3_err blob_finish(struct stor_blob *b, struct blob_ref *ref_out)
{
    struct stor *st = b->st;
    char rel[2 + 1 + 2 * STOR_ID + 1];
    int fd;

    memset(ref_out, 0, sizeof(*ref_out));
    if (b->failed)
        goto fail;
    if (b->fd < 0 && b->size <= st->inline_max) {
        /* Never spilled, so this is segment 0 with the header still in front of it: the
         * whole blob, as a file would hold it, is buf[0 .. STOR_HDR + len + STOR_TAG). */
        size_t n = STOR_HDR + b->len + STOR_TAG;
        unsigned char *p;
        put_be64(b->id, inline_stamp(st));   /* then the 8 random bytes it had */
        if (blob_keyup(b) != S3_OK || blob_seal(b, 1) != S3_OK)
            goto fail;
        /* give back the unused rest of the segment buffer while the commit is awaited */
        p = realloc(b->buf, n);
        ref_out->inl = p ? p : b->buf;
        ref_out->inl_len = n;
        b->buf = NULL;
        memcpy(ref_out->id, b->id, STOR_ID);
        ref_out->size = b->size;
        blob_free(b);
        return S3_OK;
    }
    if (blob_flush(b, 1) != S3_OK)
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
    if (blob_place(st, b->name, rel) != 0) {
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
    struct blob_ref *segs;         /* the object's blobs in order; inline ones with their bytes */
    uint64_t *starts;              /* object offset of each */
    size_t nsegs;
    uint64_t total;
    struct blob_ref *pins;         /* the blob files of segs sorted by id: what this reader keeps
                                      alive (an inline blob needs no pin: its bytes are here) */
    size_t npins;
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
        if (r->npins && bsearch(&key, r->pins, r->npins, sizeof(*r->pins), id_cmp))
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
    for (size_t i = 0; r->segs && i < r->nsegs; i++)
        free(r->segs[i].inl);
    free(r->segs);
    free(r->starts);
    free(r->pins);
    free(r->buf);
    free(r);
}

s3_err blob_reader_new(struct stor *st, struct blob_refs *segs, uint64_t gen, struct stor_reader **out,
                       int *stale_out)
{
    struct stor_reader *r;
    size_t n = segs->n, bufsz = STOR_TAG;
    int moved;

    *out = NULL;
    *stale_out = 0;
    /* the decryption buffer: one segment + tag, or less when every blob is smaller */
    for (size_t i = 0; i < n && bufsz < SEG_DISK; i++)
        if (segs->v[i].size + STOR_TAG > bufsz)
            bufsz = segs->v[i].size >= STOR_SEG ? SEG_DISK : (size_t)segs->v[i].size + STOR_TAG;
    if ((r = calloc(1, sizeof(*r))) == NULL)
        return S3E_NOMEM;
    r->st = st;
    r->fd = -1;
    r->cur = SIZE_MAX;
    if ((r->segs = calloc(n ? n : 1, sizeof(*r->segs))) == NULL ||
        (r->starts = malloc((n ? n : 1) * sizeof(*r->starts))) == NULL ||
        (r->pins = malloc((n ? n : 1) * sizeof(*r->pins))) == NULL || (r->buf = malloc(bufsz)) == NULL ||
        (r->ctx = EVP_CIPHER_CTX_new()) == NULL) {
        reader_free(r);
        return S3E_NOMEM;
    }
    /* inline bytes stay with segs until the reader is certain to be returned */
    r->nsegs = n;
    for (size_t i = 0; i < n; i++) {
        memcpy(r->segs[i].id, segs->v[i].id, STOR_ID);
        r->segs[i].size = segs->v[i].size;
        r->starts[i] = r->total;
        r->total += segs->v[i].size;
        if (segs->v[i].inl == NULL)
            r->pins[r->npins++] = r->segs[i];
    }
    qsort(r->pins, r->npins, sizeof(*r->pins), id_cmp);

    pthread_mutex_lock(&st->pin_mu);
    r->next = st->open_readers;
    if (r->next)
        r->next->prev = r;
    st->open_readers = r;
    moved = st->del_gen != gen;
    pthread_mutex_unlock(&st->pin_mu);

    /* Some blobs were deleted since the caller's snapshot began: make sure none was ours.
     * Files present now stay, since we are registered.  Inline bytes were read in the snapshot. */
    for (size_t i = 0; moved && i < r->npins; i++) {
        char rel[2 + 1 + 2 * STOR_ID + 1];
        blob_relpath(r->pins[i].id, rel);
        if (faccessat(st->blobs_fd, rel, F_OK, 0) != 0) {
            reader_unpin(r);
            reader_free(r);
            *stale_out = 1;
            return S3_OK;
        }
    }
    for (size_t i = 0; i < n; i++) {
        r->segs[i].inl = segs->v[i].inl;
        r->segs[i].inl_len = segs->v[i].inl_len;
        segs->v[i].inl = NULL;
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

/* Bytes [off, off + n) of blob i (open in r->fd, or inline) into p: 0, -1 with errno, or -2
 * when the blob is shorter. */
static int reader_fetch(struct stor_reader *r, size_t i, unsigned char *p, size_t n, uint64_t off)
{
    const struct blob_ref *b = &r->segs[i];
    if (b->inl == NULL)
        return pread_all(r->fd, p, n, off);
    if (off > b->inl_len || n > b->inl_len - off)
        return -2;
    memcpy(p, b->inl + off, n);
    return 0;
}

#define BLOB_NAME_LEN (6 + 2 + 1 + 2 * STOR_ID + 1)   /* "blobs/xx/<hex>" and NUL, the longer one */

/* How blob i is named in messages: "blobs/xx/<hex>" or "inline <hex>". */
static void reader_blob_name(const struct stor_reader *r, size_t i, char out[BLOB_NAME_LEN])
{
    if (r->segs[i].inl) {
        memcpy(out, "inline ", 7);
        hex_id(r->segs[i].id, out + 7);
    } else {
        memcpy(out, "blobs/", 6);
        blob_relpath(r->segs[i].id, out + 6);
    }
}

/* Open blob i of r: read its header and unwrap its data key into r->ctx. */
static int reader_open_blob(struct stor_reader *r, size_t i)
{
    struct stor *st = r->st;
    unsigned char h[STOR_HDR], dek[32], fin[16];
    char rel[BLOB_NAME_LEN];
    int l, ok, rc;

    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    r->cur = SIZE_MAX;
    r->cvalid = 0;
    reader_blob_name(r, i, rel);
    if (r->segs[i].inl == NULL && (r->fd = openat(st->blobs_fd, rel + 6, O_RDONLY | O_CLOEXEC)) < 0) {
        log_error("storage: open %s/%s: %s", st->dir, rel, strerror(errno));
        return -1;
    }
    if ((rc = reader_fetch(r, i, h, sizeof(h), 0)) != 0) {
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
    char rel[BLOB_NAME_LEN];
    size_t len;
    int l, rc;

    r->cvalid = 0;
    len = idx == nseg - 1 ? (size_t)(bsize - idx * STOR_SEG) : STOR_SEG;
    reader_blob_name(r, r->cur, rel);
    if ((rc = reader_fetch(r, r->cur, r->buf, len + STOR_TAG, STOR_HDR + idx * (uint64_t)SEG_DISK)) != 0) {
        log_error("storage: blob %s segment %llu: %s", rel, (unsigned long long)idx,
                  rc == -2 ? "blob is truncated" : strerror(errno));
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
