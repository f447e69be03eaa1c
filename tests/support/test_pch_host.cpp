void carilabTestPchHost() {}
