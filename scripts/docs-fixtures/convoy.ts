// The runtime an app creates once at start-up, here on the collected fixture site (public/static).
import { createConvoy as docsCheckCreateConvoy } from '@convoy/core'

const convoy = await docsCheckCreateConvoy({ manifest: 'public/static/convoy-manifest.json', baseUrl: '/static/' })
