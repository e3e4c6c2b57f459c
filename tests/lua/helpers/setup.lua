-- setup.lua: busted helper. Installs the fake host json global the modules in
-- lua/ expect, before any spec requires them.
_G.json = require("fake_json")
