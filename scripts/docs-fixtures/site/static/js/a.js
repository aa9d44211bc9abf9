// First member of the carpool examples.
var greeting = 'hello'
