// Render an HTML file in headless Chromium and save a PNG of the whole page.
// Usage: node screenshot.js PAGE.html OUT.png [width] [height]
// Prints one JSON line: {"title", "errors": [...], "requests": [...]} - errors are JavaScript and
// console errors; requests are every URL the page tried to load other than itself (a
// self-contained report asks for none).
"use strict";
const chromium = require("@sparticuz/chromium");
const puppeteer = require("puppeteer-core");
const path = require("path");

async function main() {
  const [page_path, out_path, width = "1400", height = "900"] = process.argv.slice(2);
  const url = "file://" + path.resolve(page_path);
  const browser = await puppeteer.launch({
    executablePath: await chromium.executablePath(),
    args: [...chromium.args, "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    headless: true,
  });
  const errors = [];
  const requests = [];
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: Number(width), height: Number(height) });
    page.on("pageerror", (error) => errors.push(String(error)));
    page.on("console", (message) => { if (message.type() === "error") errors.push(message.text()); });
    page.on("request", (request) => { if (request.url() !== url) requests.push(request.url()); });
    await page.goto(url, { waitUntil: "load" });
    await page.screenshot({ path: out_path, fullPage: true });
    console.log(JSON.stringify({ title: await page.title(), errors, requests }));
  } finally {
    await browser.close();
  }
}

main().catch((error) => { console.error(String(error)); process.exit(1); });
