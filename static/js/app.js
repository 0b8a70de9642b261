// Patuh's own scripts: small progressive enhancements; every page works without them.
"use strict";
