package store_test

import (
	"testing"

	"github.com/shipsafe/shipsafe/pkg/release/store"
	"github.com/shipsafe/shipsafe/pkg/release/store/storetest"
)

func TestMemoryConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(*testing.T) store.Store { return store.NewMemory() })
}
