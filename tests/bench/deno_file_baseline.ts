/**
 * The Deno baseline of the static bench: the plain way to serve files with
 * Deno, `Deno.serve` + `Deno.open` per request, the body streamed from
 * `file.readable`, Content-Length from the open file's stat. No cache, no
 * ranges, no conditional requests; a path with a ".." or a dot segment is 404.
 *
 * Run: `deno run --allow-net=127.0.0.1 --allow-read=DIR deno_file_baseline.ts DIR PORT`
 *
 * @module
 */

const [root, port] = Deno.args;
if (!root || !port) {
  console.error("usage: deno_file_baseline.ts DIR PORT");
  Deno.exit(2);
}

const notFound = () => new Response("not found\n", { status: 404 });

Deno.serve({ hostname: "127.0.0.1", port: Number(port), onListen() {} }, async (req) => {
  const path = decodeURIComponent(new URL(req.url).pathname);
  if (path.split("/").some((s) => s.startsWith("."))) return notFound();
  let file: Deno.FsFile;
  try {
    file = await Deno.open(root + path, { read: true });
  } catch {
    return notFound();
  }
  try {
    const info = await file.stat();
    if (!info.isFile) {
      file.close();
      return notFound();
    }
    return new Response(file.readable, {
      headers: {
        "content-length": String(info.size),
        "content-type": "application/octet-stream",
      },
    });
  } catch {
    file.close();
    return notFound();
  }
});
