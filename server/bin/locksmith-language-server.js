#!/usr/bin/env node
"use strict";
require("../../dist/server/src/lsp/main.js");
