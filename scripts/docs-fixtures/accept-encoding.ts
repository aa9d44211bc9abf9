// The Accept-Encoding header of the request being rendered.
const acceptEncoding = 'br, gzip'
