/*! A stand-in for jQuery (the docs check needs a file at this logical path, not the library). */
(function (global) {
  'use strict'
  function jQuery(selector) {
    return global.document === undefined ? [] : global.document.querySelectorAll(selector)
  }
  global.jQuery = global.$ = jQuery
})(typeof window === 'undefined' ? globalThis : window)
