// Implements: what the trainers read as data and initial weights, by the spec's data.kind and
// train.init_from: images from Fashion-MNIST's IDX files or NumPy arrays, text from files, llm.c
// token shards or the Shakespeare corpus, and parameters from a safetensors file.
import Checkpoint
import Data
import NN

extension JobSpec {
    /// The training (`train`) or test split of an image job. NumPy data has no test split (nil).
    /// - Parameter directory: `cohort train --data`, overriding data.path.
    /// - Throws: `DataError` naming the file that cannot be read.
    public func imageData(train: Bool, directory: String?) throws(DataError) -> Dataset? {
        if data.kind == "npy" {
            guard train else { return nil }
            let d = try NumPyData.dataset(inputs: data.inputs ?? "", labels: data.labels ?? "")
            // The built-in image models take 28×28 single-channel images (784 features).
            guard d.images.cols == 784 else {
                throw .format(path: data.inputs ?? "", reason: "inputs have \(d.images.cols) features per sample; model kind \(model.kind) takes 784 (1×28×28)")
            }
            return d
        }
        return try FashionMNIST.load(directory: FashionMNIST.directory(override: directory ?? data.path), train: train)
    }

    /// The text a gpt job trains on: `text` files as bytes, `tokens` shards, or the Shakespeare corpus.
    /// - Parameter directory: `cohort train --data`, overriding the corpus file.
    public func textCorpus(directory: String?) throws(DataError) -> TextCorpus {
        switch data.kind {
        case "shakespeare": return try TextCorpus.shakespeare(override: directory ?? data.path)
        case "tokens": return try TextCorpus.load(tokenShards: data.files ?? [])
        default: return try TextCorpus.load(files: data.files ?? [])
        }
    }

    /// Replaces `model`'s parameters by train.init_from's tensors, if the spec names a file.
    /// - Throws: `SafeTensorsError` for a bad file, or a tensor missing, extra or of another shape.
    public func loadInitialWeights(into model: any NN.Model) throws {
        guard let path = train.init_from else { return }
        try SafeTensors.read(path).load(into: model.store)
    }
}
