package archive

const (
	// DefaultMaxSize is the default limit on the regular file content one
	// layer may unpack: 64 GiB.
	DefaultMaxSize int64 = 64 << 30
	// DefaultMaxEntries is the default limit on the number of entries in one
	// layer: 10 million.
	DefaultMaxEntries = 10_000_000
)

// Option changes how Apply unpacks a layer.
type Option func(*options)

type options struct {
	maxSize    int64
	maxEntries int
	plain      bool
	owner      *[2]int
}

// WithPlainNames unpacks a tar that is not a layer: names beginning with
// .wh. are files like any other, not whiteouts.
func WithPlainNames() Option {
	return func(o *options) { o.plain = true }
}

// WithOwner gives every entry owner uid:gid instead of its header's.
func WithOwner(uid, gid int) Option {
	return func(o *options) { o.owner = &[2]int{uid, gid} }
}

// WithMaxSize limits the total size of regular file content Apply writes;
// a layer that declares more fails with ErrTooLarge before the excess is
// written. A value of zero or less keeps DefaultMaxSize.
func WithMaxSize(n int64) Option {
	return func(o *options) {
		if n > 0 {
			o.maxSize = n
		}
	}
}

// WithMaxEntries limits the number of tar entries Apply processes; one more
// fails with ErrTooLarge. A value of zero or less keeps DefaultMaxEntries.
func WithMaxEntries(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxEntries = n
		}
	}
}

func makeOptions(opts []Option) options {
	o := options{maxSize: DefaultMaxSize, maxEntries: DefaultMaxEntries}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}
