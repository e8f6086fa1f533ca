package etcd

// StoreErr is storeErr, for tests that feed it a real server's answers.
var StoreErr = storeErr
