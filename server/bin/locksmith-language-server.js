#!/usr/bin/env node
"use strict";
require("./start")("locksmith-language-server", "lsp/main.js");
