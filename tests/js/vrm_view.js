// A VTuber app's check of a VRM file: three.js + @pixiv/three-vrm load it in headless Chromium (the machine's
// own, driven by puppeteer-core; nothing is downloaded), served from 127.0.0.1.
//   node vrm_view.js [--closeup] CHROMIUM FILE.vrm OUT_DIR [EXPRESSION ...]
// writes OUT_DIR/neutral.png and OUT_DIR/EXPRESSION.png, and prints one JSON line: what three-vrm parsed, the
// face's box in pixels in each picture, and how far the left eye turned toward a point 20 degrees to the host's left.
// The pictures are 480x640 from the head to the waist, or with --closeup 400x400 of the head.
const http = require("http");
const fs = require("fs");
const path = require("path");
const puppeteer = require("puppeteer-core");

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".vrm": "application/octet-stream" };
const LOOK_YAW_DEGREES = 20;

function serve(vrmFile) {
  const root = __dirname;
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(req.url.split("?")[0]);
    let file = null;
    if (url === "/") file = path.join(root, "vrm_view.html");
    else if (url === "/model.vrm") file = vrmFile;
    else if (url.startsWith("/node_modules/") && !url.includes("..")) file = path.join(root, url);
    if (!file || !fs.existsSync(file)) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { "Content-Type": TYPES[path.extname(file)] || "application/octet-stream" });
    res.end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

(async () => {
  const args = process.argv.slice(2);
  const closeup = args[0] === "--closeup";
  const [chromium, vrmFile, outDir, ...expressions] = closeup ? args.slice(1) : args;
  const [width, height] = closeup ? [400, 400] : [480, 640];
  const server = await serve(path.resolve(vrmFile));
  const browser = await puppeteer.launch({
    executablePath: chromium, headless: true,
    // WebGL without a GPU: ANGLE on SwiftShader. Root needs --no-sandbox.
    args: ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist",
           "--disable-dev-shm-usage"],
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    await page.setViewport({ width, height });
    await page.goto(`http://127.0.0.1:${server.address().port}/?width=${width}&height=${height}`
                    + (closeup ? "&framing=head" : ""));
    await page.waitForFunction("window.viewer !== undefined", { timeout: 60000 });
    const report = await page.evaluate("window.viewer.ready");
    const canvas = await page.$("canvas");
    fs.mkdirSync(outDir, { recursive: true });
    report.faceBoxes = {};
    for (const name of [null, ...expressions]) {
      const shown = await page.evaluate((n) => window.viewer.pose(n, 0), name);
      await canvas.screenshot({ path: path.join(outDir, `${name || "neutral"}.png`) });
      report.faceBoxes[name || "neutral"] = shown.faceBox;
    }
    report.look = await page.evaluate((yaw) => window.viewer.pose(null, yaw), LOOK_YAW_DEGREES);
    report.look.targetYaw = LOOK_YAW_DEGREES;
    report.errors = errors;
    console.log(JSON.stringify(report));
  } finally {
    await browser.close();
    server.close();
  }
})().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
