"use strict";
// The compiled plugin (tsc builds eslint-plugin/src into dist/eslint-plugin/src with the rest of Locksmith).
module.exports = require("../dist/eslint-plugin/src/index.js");
