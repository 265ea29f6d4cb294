package app

// DescribeBuild is describeBuild, for the version tests.
var DescribeBuild = describeBuild
