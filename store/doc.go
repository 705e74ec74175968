// Package store implements berth's on-disk state: content-addressed blobs,
// image records and tag references, unpacked layers keyed by chain ID,
// container and volume directories, the engine event log and the locks that
// let several berth processes share one root.
//
// It is the only package that knows the layout under the root:
//
//	blobs/sha256/<hex>        compressed layers, manifests, configs
//	images/<id>.json          image records
//	refs.json                 name:tag -> image ID, plus repo digests
//	layers/<chainID>/diff/    unpacked layer, overlay-ready
//	layers/<chainID>/layer.json
//	containers/<id>/          config.json, state.json, upper/ work/ merged/ ...
//	volumes/<name>/_data      named volumes, volumes/<name>/volume.json
//	events.log                append-only engine events
//	locks/                    flock files
//	tmp/                      staging area; emptied by Open
//
// Every write goes to a temporary file or directory first and is renamed
// into place after it is complete and synced, so a process killed at any
// point leaves the store readable. Open removes what such a process left
// half done. Reference counts are not stored: whether a layer or blob is in
// use is derived from the image records, so they cannot drift after a crash.
package store
