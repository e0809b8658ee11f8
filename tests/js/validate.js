// The Khronos glTF Validator on each file named: one JSON report per line.
const validator = require("gltf-validator");
const fs = require("fs");

(async () => {
  for (const file of process.argv.slice(2)) {
    const report = await validator.validateBytes(new Uint8Array(fs.readFileSync(file)), { maxIssues: 200 });
    const issues = report.issues;
    console.log(JSON.stringify({
      file, errors: issues.numErrors, warnings: issues.numWarnings, infos: issues.numInfos,
      messages: issues.messages.slice(0, 20).map((m) => `${m.code} ${m.pointer}: ${m.message}`),
    }));
  }
})();
