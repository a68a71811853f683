//! Shell quoting and control-character stripping for strings that come from the cluster.
