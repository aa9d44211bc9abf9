// Inside a storage's write(path, body): the storage path, the body stream, and the file handle it is written to.
import { open } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { ConvoyError } from '@convoy/errors'
import { BodyStreamError, bodyChunks } from '@convoy/storage'

const path = 'css/site.css'
const body = Readable.from(['a { color: red }\n'])
const handle = await open('site.css', 'w')
