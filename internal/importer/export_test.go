package importer

// FailCommitWith injects an error at the very end of every commit transaction.
func (im *Importer) FailCommitWith(err error) { im.failCommit = err }
