"""The gRPC boundary: the only package (with the client) that touches generated protobuf types."""
