// Package themes holds berth's colour themes as data: a Theme names a colour
// for each semantic role (accent, selection, running, error...), each colour
// with a value for light and for dark terminal backgrounds. The package holds
// the built-in themes and loads user themes from TOML or YAML files, with
// the same keys and validation in both; it knows nothing about how colours
// are drawn.
package themes
