// t/js/s3-sdk.mjs - AWS SDK for JavaScript v3 against s3iamd (run by t/it/920-js-sdk.sh).
//
// Path-style (forcePathStyle) against http://127.0.0.1:PORT: put and get with the SDK's default
// checksums (CRC32), a file stream body (fs.createReadStream: HTTP chunked transfer around an
// aws-chunked body with an x-amz-checksum-crc32 trailer), a 12 MiB multipart upload through
// lib-storage's Upload, listing, copy, delete; downloads compared by SHA-256.
//
// Environment: ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, T_TMP.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  S3Client,
  CreateBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  DeleteBucketCommand,
  GetObjectAttributesCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";

const NAME = "920-js-sdk";
const MiB = 1024 * 1024;
let count = 0;

function fail(msg) {
  console.error(`FAIL: ${NAME}: ${msg}`);
  process.exit(1);
}
function ok(msg) {
  count += 1;
  console.log(`ok ${count} - ${msg}`);
}
function eq(want, got, what) {
  if (want !== got) fail(`${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
}
const sha = (buf) => createHash("sha256").update(buf).digest("hex");
const md5 = (buf) => createHash("md5").update(buf).digest("hex");

// CRC32 (IEEE, as zlib) in base64, what x-amz-checksum-crc32 holds.
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();
function crc32b64(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((c ^ 0xffffffff) >>> 0);
  return out.toString("base64");
}

async function bodyBytes(resp) {
  return Buffer.from(await resp.Body.transformToByteArray());
}

async function errorName(promise) {
  try {
    await promise;
  } catch (e) {
    return e.name || e.Code || String(e);
  }
  return null;
}

async function main() {
  const endpoint = process.env.ENDPOINT;
  if (!endpoint) fail("ENDPOINT is not set");
  const wire = []; // what went over the wire for the request we want to look at
  const s3 = new S3Client({
    endpoint,
    region: process.env.AWS_DEFAULT_REGION || "us-east-1",
    forcePathStyle: true,
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID,
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
    },
    maxAttempts: 1,
  });
  s3.middlewareStack.add(
    (next) => async (args) => {
      wire.push({ headers: { ...args.request.headers }, path: args.request.path });
      return next(args);
    },
    { step: "finalizeRequest", name: "s3iamRecordHeaders", priority: "low" }
  );
  const B = "js-sdk-bucket";

  await s3.send(new CreateBucketCommand({ Bucket: B }));
  ok("CreateBucket");

  // Put and get with the default checksum behaviour (CRC32 computed by the SDK).
  const small = randomBytes(200 * 1024);
  wire.length = 0;
  const put = await s3.send(
    new PutObjectCommand({ Bucket: B, Key: "small", Body: small, ContentType: "application/x-js" })
  );
  eq(`"${md5(small)}"`, put.ETag, "PutObject ETag");
  const sent = wire.find((w) => w.path.endsWith("/small"));
  const hdr = Object.fromEntries(Object.entries(sent.headers).map(([k, v]) => [k.toLowerCase(), v]));
  eq(crc32b64(small), hdr["x-amz-checksum-crc32"], "the SDK sent x-amz-checksum-crc32");
  eq(crc32b64(small), put.ChecksumCRC32, "PutObject echoes ChecksumCRC32");
  const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: "small", ChecksumMode: "ENABLED" }));
  const gotBytes = await bodyBytes(got); // the SDK validates the CRC32 while reading
  eq(sha(small), sha(gotBytes), "GetObject bytes");
  eq(crc32b64(small), got.ChecksumCRC32, "GetObject ChecksumCRC32");
  eq("application/x-js", got.ContentType, "GetObject ContentType");
  ok("PutObject / GetObject with default CRC32 checksums (sent, echoed, validated on read)");

  // A file stream: HTTP chunked transfer around aws-chunked with a CRC32 trailer.
  const file = join(process.env.T_TMP || "/tmp", "js-stream.bin");
  const streamed = randomBytes(3 * MiB + 4321);
  writeFileSync(file, streamed);
  wire.length = 0;
  const sput = await s3.send(
    new PutObjectCommand({ Bucket: B, Key: "stream", Body: createReadStream(file) })
  );
  const ssent = wire.find((w) => w.path.endsWith("/stream"));
  const sh = Object.fromEntries(Object.entries(ssent.headers).map(([k, v]) => [k.toLowerCase(), v]));
  eq("aws-chunked", sh["content-encoding"], "stream upload Content-Encoding");
  eq("x-amz-checksum-crc32", sh["x-amz-trailer"], "stream upload x-amz-trailer");
  eq(String(streamed.length), String(sh["x-amz-decoded-content-length"]), "x-amz-decoded-content-length");
  console.log(
    `# stream upload: transfer-encoding=${sh["transfer-encoding"] || "-"} content-length=${
      sh["content-length"] || "-"
    } x-amz-content-sha256=${sh["x-amz-content-sha256"]}`
  );
  eq(`"${md5(streamed)}"`, sput.ETag, "stream PutObject ETag");
  eq(crc32b64(streamed), sput.ChecksumCRC32, "stream PutObject ChecksumCRC32 (from the trailer)");
  const sgot = await bodyBytes(await s3.send(new GetObjectCommand({ Bucket: B, Key: "stream" })));
  eq(sha(streamed), sha(sgot), "stream GetObject bytes");
  ok("PutObject of fs.createReadStream (aws-chunked, CRC32 trailer): same sha256");

  // Multipart through lib-storage.
  const big = randomBytes(12 * MiB + 777);
  const up = new Upload({
    client: s3,
    params: { Bucket: B, Key: "multi", Body: big, ContentType: "application/x-multi" },
    partSize: 5 * MiB,
    queueSize: 3,
  });
  let progressParts = 0;
  up.on("httpUploadProgress", () => {
    progressParts += 1;
  });
  const done = await up.done();
  if (!/-3"$/.test(done.ETag)) fail(`lib-storage Upload ETag ${done.ETag} does not end in -3`);
  const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "multi" }));
  eq(big.length, head.ContentLength, "multipart ContentLength");
  eq("application/x-multi", head.ContentType, "multipart ContentType");
  const mgot = await bodyBytes(await s3.send(new GetObjectCommand({ Bucket: B, Key: "multi" })));
  eq(sha(big), sha(mgot), "multipart GetObject bytes");
  const attrs = await s3.send(
    new GetObjectAttributesCommand({ Bucket: B, Key: "multi", ObjectAttributes: ["ObjectParts", "ObjectSize"] })
  );
  eq(big.length, attrs.ObjectSize, "GetObjectAttributes ObjectSize");
  eq(3, attrs.ObjectParts && attrs.ObjectParts.TotalPartsCount, "GetObjectAttributes TotalPartsCount");
  ok(`lib-storage Upload of 12 MiB in 5 MiB parts (ETag -3, ${progressParts} progress events): same sha256`);

  // Multipart from a file stream (unknown length to lib-storage until it reads).
  const bigFile = join(process.env.T_TMP || "/tmp", "js-big.bin");
  writeFileSync(bigFile, big);
  await new Upload({
    client: s3,
    params: { Bucket: B, Key: "multi-stream", Body: createReadStream(bigFile) },
    partSize: 5 * MiB,
  }).done();
  const msgot = await bodyBytes(await s3.send(new GetObjectCommand({ Bucket: B, Key: "multi-stream" })));
  eq(sha(readFileSync(bigFile)), sha(msgot), "multipart stream bytes");
  ok("lib-storage Upload from a file stream: same sha256");

  // Range, list, copy, delete.
  const rng = await s3.send(new GetObjectCommand({ Bucket: B, Key: "small", Range: "bytes=10-19" }));
  eq(sha(small.subarray(10, 20)), sha(await bodyBytes(rng)), "ranged GetObject");
  eq(`bytes 10-19/${small.length}`, rng.ContentRange, "ContentRange");
  await s3.send(new CopyObjectCommand({ Bucket: B, Key: "copy", CopySource: `${B}/small` }));
  const list = await s3.send(new ListObjectsV2Command({ Bucket: B }));
  eq("copy,multi,multi-stream,small,stream", list.Contents.map((c) => c.Key).join(","), "ListObjectsV2 keys");
  eq("NoSuchKey", await errorName(s3.send(new GetObjectCommand({ Bucket: B, Key: "none" }))), "missing key");
  await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "copy" }));
  const del = await s3.send(
    new DeleteObjectsCommand({
      Bucket: B,
      Delete: { Objects: ["multi", "multi-stream", "small", "stream"].map((Key) => ({ Key })) },
    })
  );
  eq(4, (del.Deleted || []).length, "DeleteObjects Deleted");
  await s3.send(new DeleteBucketCommand({ Bucket: B }));
  ok("ranged GetObject, CopyObject, ListObjectsV2, NoSuchKey, DeleteObject(s), DeleteBucket");

  console.log(`# ${NAME}: ${count} checks passed`);
}

main().catch((e) => {
  fail(`${e.name || "Error"}: ${e.message}${e.$metadata ? " " + JSON.stringify(e.$metadata) : ""}`);
});
