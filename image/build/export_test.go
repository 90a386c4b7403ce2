package build

import "github.com/aerokernel/aero/image/config"

func parseForTest(path string) (*config.Config, error) { return config.ParseFile(path) }
