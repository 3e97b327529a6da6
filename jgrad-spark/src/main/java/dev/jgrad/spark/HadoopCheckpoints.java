package dev.jgrad.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checkpoints in a directory of any Hadoop file system ({@code file:}, {@code hdfs:}, {@code s3a:},
 * …): {@code epoch-00003.safetensors} after three epochs, written under a temporary name and
 * renamed, so a reader sees whole files only. The two newest are kept. The Hadoop settings
 * travel with the store to the tasks.
 */
final class HadoopCheckpoints implements CheckpointStore {
    private static final Pattern NAME = Pattern.compile("epoch-(\\d{5})\\.safetensors");

    private final String dir;
    private final HashMap<String, String> settings;

    HadoopCheckpoints(String dir, Configuration conf) {
        this.dir = dir;
        this.settings = new HashMap<>();
        for (Map.Entry<String, String> e : conf) settings.put(e.getKey(), e.getValue());
    }

    private FileSystem fs() throws IOException {
        Configuration c = new Configuration(false);
        settings.forEach(c::set);
        return new Path(dir).getFileSystem(c);
    }

    private Path file(int epochsDone) {
        return new Path(dir, String.format("epoch-%05d.safetensors", epochsDone));
    }

    @Override
    public int latest() throws IOException {
        FileSystem fs = fs();
        FileStatus[] all;
        try {
            all = fs.listStatus(new Path(dir));
        } catch (FileNotFoundException e) {
            return 0;
        }
        int best = 0;
        for (FileStatus s : all) {
            Matcher m = NAME.matcher(s.getPath().getName());
            if (m.matches()) best = Math.max(best, Integer.parseInt(m.group(1)));
        }
        return best;
    }

    @Override
    public java.nio.file.Path fetch(int epochsDone) throws IOException {
        java.nio.file.Path local = Files.createTempFile("jgrad-resume-", ".safetensors");
        Files.delete(local);
        fs().copyToLocalFile(false, file(epochsDone), new Path(local.toUri()), true);
        return local;
    }

    @Override
    public void store(int epochsDone, java.nio.file.Path local) throws IOException {
        FileSystem fs = fs();
        Path target = file(epochsDone);
        Path tmp = new Path(dir, "." + target.getName() + "." + System.nanoTime() + ".tmp");
        fs.mkdirs(new Path(dir));
        fs.copyFromLocalFile(false, true, new Path(local.toUri()), tmp);
        fs.delete(target, false);
        if (!fs.rename(tmp, target)) throw new IOException("could not rename " + tmp + " to " + target);
        if (epochsDone > 2) fs.delete(file(epochsDone - 2), false);
    }
}
