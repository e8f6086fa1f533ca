package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/meetbot/meetbot/storage"
)

// runMigrate copies a bbolt store into the etcd cluster of the config:
//
//	bot migrate --from bolt --to etcd --config FILE [--bolt PATH]
//
// The bbolt file is storage.bolt.path unless --bolt names another; the
// etcd side is storage.etcd (its prefix must hold no key). Stop the
// one-process meetbot first: bbolt allows one process per file, so a
// running one makes this fail at once, naming the file.
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := newFlagSet("migrate", stderr)
	path := fs.String("config", "", "config file whose storage.etcd section names the target cluster")
	from := fs.String("from", "", "source driver (bolt)")
	to := fs.String("to", "", "target driver (etcd)")
	boltPath := fs.String("bolt", "", "bbolt file to copy (default: storage.bolt.path of the config)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if *from != storage.Bolt || *to != storage.Etcd {
		return usageError{errors.New("only --from bolt --to etcd is supported")}
	}
	if *path == "" {
		return usageError{errors.New("--config FILE is required (its storage.etcd section names the cluster)")}
	}
	cfg, problems, err := LoadConfig(*path, getenv)
	// The config may still say driver: bolt; its etcd section must be
	// right either way.
	var etcdProblems []string
	validateEtcd(cfg.Storage.Etcd, func(format string, a ...any) { etcdProblems = append(etcdProblems, fmt.Sprintf(format, a...)) })
	if err != nil || len(etcdProblems) > 0 {
		if err != nil && len(problems) == 0 {
			return err
		}
		all := append(problems, etcdProblems...)
		return fmt.Errorf("%s has %d problem(s):\n  - %s", *path, len(all), joinLines(all))
	}
	src := cfg.Storage.Bolt.Path
	if *boltPath != "" {
		src = *boltPath
	}
	if st, err := os.Stat(src); err != nil || st.IsDir() {
		return fmt.Errorf("no bbolt file at %s (set storage.bolt.path or pass --bolt PATH)", src)
	}
	log := newLogger(cfg.Log, stderr)
	replica := replicaID(cfg, os.Hostname, os.Getpid()) + "-migrate"

	boltCfg := cfg
	boltCfg.Storage.Driver, boltCfg.Storage.Bolt.Path = storage.Bolt, src
	bcfg, err := storageConfig(boltCfg, replica, log)
	if err != nil {
		return err
	}
	source, err := storage.Open(ctx, bcfg)
	if err != nil {
		return fmt.Errorf("open %s: %w", src, err)
	}
	defer source.Close()

	etcdCfg := cfg
	etcdCfg.Storage.Driver = storage.Etcd
	ecfg, err := storageConfig(etcdCfg, replica, log)
	if err != nil {
		return err
	}
	target, err := storage.Open(ctx, ecfg)
	if err != nil {
		return err
	}
	defer target.Close()

	n, err := storage.Migrate(ctx, source, target)
	if err != nil {
		return fmt.Errorf("migrate %s into etcd prefix %s: %w", src, cfg.Storage.Etcd.Prefix, err)
	}
	fmt.Fprintf(stdout, "Copied %s into etcd prefix %s: %d meetings, %d id counters, %d participants, %d users, %d workspace settings, %d secrets, %d installations, %d delivery keys, %d jobs.\n",
		src, cfg.Storage.Etcd.Prefix, n.Meetings, n.Counters, n.Participants, n.Users, n.Workspaces, n.Secrets, n.Installations, n.Once, n.Jobs)
	fmt.Fprintf(stdout, "Set storage.driver: etcd in %s and start the replicas. %s was left as it was.\n", *path, src)
	return nil
}
